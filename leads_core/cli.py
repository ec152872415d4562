"""Command-line interface: ``python -m leads_core --help``.

Commands print their result's key value (an API key, a campaign id) as the LAST line
of stdout so scripts can take it with ``tail -1``; progress goes to stderr."""

from __future__ import annotations

import argparse
import getpass
import json
import signal
import sys
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any, Never, TypeAlias

from pydantic import ValidationError
from tqdm import tqdm

from leads_core.clock import iso_utc, utcnow
from leads_core.config import ConfigError, get_settings
from leads_core.errors import LeadsError
from leads_core.files.headers import parse_mapping_json
from leads_core.files.reading import FileTable
from leads_core.ingest import demo, importing
from leads_core.ingest.options import ImportOptions, ImportOutcome, owner_ids
from leads_core.schemas import CampaignCreate, CampaignCriteria
from leads_core.services import apikeys, campaigns, users
from leads_core.storage.db import get_engine, session_scope


def _progress_bar(description: str, unit: str) -> tuple[Callable[[int, int], None], tqdm[Never]]:
    bar = tqdm(total=0, desc=description, unit=unit, file=sys.stderr, dynamic_ncols=True)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.update(done - bar.n)

    return update, bar


def _json_arg(raw: str | None, name: str) -> Any:
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LeadsError(f"{name}: not valid JSON ({exc.msg})") from None


def cmd_init_db(_args: argparse.Namespace) -> None:
    engine = get_engine()
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")


def cmd_create_api_key(args: argparse.Namespace) -> None:
    with session_scope() as session:
        user = users.find_user(session, args.user) if args.user else None
        expires = utcnow() + timedelta(days=args.expires_days) if args.expires_days else None
        key, plain = apikeys.create_api_key(
            session,
            name=args.name,
            user_id=user.id if user else None,
            scope=args.scope,
            expires_at=expires,
        )
    who = f"{user.email} ({user.role})" if user else "the system account (admin)"
    until = f", until {iso_utc(expires)}" if expires else ""
    print(f"created API key {key.id} ({key.name}) acting as {who}, scope {key.scope}{until}.")
    print("It is shown once, keep it now:")
    print(plain)


def cmd_list_api_keys(_args: argparse.Namespace) -> None:
    with session_scope() as session:
        keys = apikeys.list_api_keys(session)
        emails = {u.id: u.email for u in users.list_users(session)}
    print(
        f"{'ID':<20} {'PREFIX':<13} {'NAME':<24} {'USER':<28} {'SCOPE':<6} {'CREATED':<21} "
        f"{'LAST USED':<21} STATE"
    )
    now = utcnow()
    for key in keys:
        last = iso_utc(key.last_used_at) if key.last_used_at else "never"
        state = "revoked" if key.revoked_at else "active"
        if key.revoked_at is None and key.expires_at is not None and key.expires_at <= now:
            state = "expired"
        user = emails.get(key.user_id, "?") if key.user_id else "(system)"
        print(
            f"{key.id:<20} {key.prefix:<13} {key.name[:24]:<24} {user[:28]:<28} {key.scope:<6} "
            f"{iso_utc(key.created_at):<21} {last:<21} {state}"
        )


def cmd_deliver_webhooks(args: argparse.Namespace) -> None:
    from leads_core.webhooks.sending import Sender
    from leads_core.webhooks.worker import Worker

    settings = get_settings()
    worker = Worker(get_engine(), Sender(allow_private=settings.webhooks_allow_private))
    if args.once:
        attempts = 0
        while made := worker.run_once():
            attempts += made
        worker.close()
        print(f"{attempts} attempt(s) made; nothing more is due now")
        return
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop_signal, lambda _signum, _frame: worker.stop())
    print(f"delivering webhooks as {worker.name}; Ctrl-C to stop", file=sys.stderr)
    worker.run()
    print("stopped", file=sys.stderr)


def _password_from_stdin() -> str:
    """One line of stdin (typed, or piped: ``echo "$PW" | ...``), without its newline."""
    if sys.stdin.isatty():
        return getpass.getpass("password: ")
    return sys.stdin.readline().rstrip("\r\n")


def cmd_create_user(args: argparse.Namespace) -> None:
    password = _password_from_stdin()
    with session_scope() as session:
        user = users.create_user(
            session, email=args.email, name=args.name, role=args.role, password=password or None
        )
    how = "with a password" if password else "with no password (send an invitation link)"
    print(f"created {user.role} {user.name} <{user.email}> {how}; user id:")
    print(user.id)


def cmd_set_password(args: argparse.Namespace) -> None:
    password = _password_from_stdin()
    with session_scope() as session:
        user = users.set_password(session, users.find_user(session, args.email).id, password)
    print(f"password set for {user.email}; their earlier sign-ins have ended")


def cmd_list_users(_args: argparse.Namespace) -> None:
    with session_scope() as session:
        found = users.list_users(session)
    print(f"{'ID':<20} {'EMAIL':<32} {'NAME':<24} {'ROLE':<7} STATE")
    for user in found:
        state = "disabled" if user.disabled_at else "active"
        if not user.password_hash and not user.disabled_at:
            state = "invited"
        print(f"{user.id:<20} {user.email[:32]:<32} {user.name[:24]:<24} {user.role:<7} {state}")


def cmd_revoke_api_key(args: argparse.Namespace) -> None:
    with session_scope() as session:
        key = apikeys.revoke_api_key(session, args.key)
    print(f"revoked {key.id} ({key.prefix}…, {key.name})")


def cmd_create_campaign(args: argparse.Namespace) -> None:
    criteria = _json_arg(args.criteria, "--criteria") or {}
    data = CampaignCreate.model_validate(
        {"id": args.id, "name": args.name, "criteria": CampaignCriteria.model_validate(criteria)}
    )
    with session_scope() as session:
        campaign = campaigns.create_campaign(session, data=data)
    print(f"created campaign {campaign.name!r}")
    print(campaign.id)


def cmd_list_campaigns(_args: argparse.Namespace) -> None:
    with session_scope() as session:
        for campaign in campaigns.list_campaigns(session):
            criteria = CampaignCriteria.model_validate(campaign.criteria)  # its field order
            print(
                f"{campaign.id}\t{campaign.name}\t{json.dumps(criteria.model_dump(by_alias=True))}"
            )


def cmd_import_csv(args: argparse.Namespace) -> None:
    """A file of any size, in transactions of at most LEADS_MAX_IMPORT_ROWS rows; one line
    per chunk on stderr, then the summary (the API's answer, summed) as JSON on stdout."""
    settings = get_settings()
    path = Path(args.file)
    if not path.is_file():
        raise LeadsError(f"{path}: no such file")
    mapping = parse_mapping_json(args.mapping)
    update, bar = _progress_bar(f"importing {path.name}", "rows")

    def chunk_done(outcome: ImportOutcome, table: FileTable) -> None:
        bar.write(_chunk_line(outcome, table), file=sys.stderr)

    with bar, session_scope() as session:
        owners = tuple(users.find_user(session, email).id for email in owner_ids(args.owner))
        done = importing.import_path(
            session,
            path,
            ImportOptions.from_settings(
                settings,
                campaign_id=args.campaign,
                mapping=mapping,
                sheet=args.sheet,
                dry_run=args.dry_run,
                auto_score=not args.no_score,
                on_duplicate=args.on_duplicate,
                origin="cli",
                filename=path.name,
                actor="cli",
                owners=owners,
                progress=update,
            ),
            chunk_done,
        )
    summary = done.total.response().model_dump(by_alias=True, exclude={"leads"})
    if len(done.chunks) > 1:
        summary["chunks"] = [_chunk_summary(chunk) for chunk in done.chunks]
    print(json.dumps(summary, indent=2, ensure_ascii=False))


def _chunk_line(outcome: ImportOutcome, table: FileTable) -> str:
    rows = f"rows {table.row_numbers[0]:,}-{table.row_numbers[-1]:,}" if table.rows else "no rows"
    verb = "would import" if outcome.dry_run else "imported"
    return (
        f"{rows}: {verb} {outcome.imported:,}, updated {outcome.updated:,}, skipped "
        f"{outcome.skipped:,}, errors {len(outcome.errors):,}"
        + ("" if outcome.dry_run else f" ({outcome.batch_id})")
    )


def _chunk_summary(outcome: ImportOutcome) -> dict[str, Any]:
    return {
        "importId": None if outcome.dry_run else outcome.batch_id,
        "rows": outcome.rows,
        "imported": outcome.imported,
        "updated": outcome.updated,
        "skipped": outcome.skipped,
        "errors": len(outcome.errors),
    }


def cmd_seed_demo(args: argparse.Namespace) -> None:
    settings = get_settings()
    update, bar = _progress_bar("seeding demo leads", "leads")
    with bar, session_scope() as session:
        result = demo.seed_demo(
            session,
            leads=args.leads,
            campaigns_count=args.campaigns,
            region=settings.phone_region,
            seed=args.seed,
            progress=update,
            workers=settings.import_workers,
        )
    print(
        f"seeded {result.imported} leads in {len(result.campaign_ids)} campaigns "
        f"({result.skipped} duplicate attempts skipped, {result.errors} rows rejected)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m leads_core",
        description="Leads workspace: database, users, API keys, campaigns, imports and demo data. "
        "The database comes from DATABASE_URL (default sqlite:///data/leads.db).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("init-db", help="create the database and its tables").set_defaults(
        func=cmd_init_db
    )
    _access_commands(sub)
    _data_commands(sub)
    return parser


Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def _access_commands(sub: Commands) -> None:
    """Who may use the workspace: API keys and users, in the order ``--help`` lists them."""
    p = sub.add_parser("create-api-key", help="create an API key; prints it once, last line")
    p.add_argument("name", help="who or what uses the key, e.g. 'zapier'")
    p.add_argument(
        "--user", metavar="EMAIL", help="the user it acts as (default: the system account, admin)"
    )
    p.add_argument("--scope", choices=("read", "write"), default="write", help="read: reading only")
    p.add_argument("--expires-days", type=int, metavar="N", help="stop working after N days")
    p.set_defaults(func=cmd_create_api_key)

    p = sub.add_parser(
        "create-user", help="create a user; password on stdin; prints the user id, last line"
    )
    p.add_argument("email")
    p.add_argument("--name", required=True)
    p.add_argument("--role", choices=("admin", "member", "viewer"), required=True)
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("set-password", help="set a user's password, read from stdin")
    p.add_argument("email")
    p.set_defaults(func=cmd_set_password)

    sub.add_parser("list-users", help="list users (email, name, role, state)").set_defaults(
        func=cmd_list_users
    )
    sub.add_parser(
        "list-api-keys", help="list keys (prefix, user, scope, created, last used, state)"
    ).set_defaults(func=cmd_list_api_keys)

    p = sub.add_parser("revoke-api-key", help="revoke a key by id (key_…) or prefix (lw_…)")
    p.add_argument("key")
    p.set_defaults(func=cmd_revoke_api_key)


def _data_commands(sub: Commands) -> None:
    """Campaigns, imports and demo data."""
    p = sub.add_parser("create-campaign", help="create a campaign; prints its id, last line")
    p.add_argument("name")
    p.add_argument("--id", help="choose the id (cmp_…); default: a random one")
    p.add_argument(
        "--criteria",
        help='JSON, e.g. \'{"targetPositions": ["CTO"], "targetSources": ["linkedin"], '
        '"requiredFields": ["phone"]}\'',
    )
    p.set_defaults(func=cmd_create_campaign)

    sub.add_parser("list-campaigns", help="list campaigns (id, name, criteria)").set_defaults(
        func=cmd_list_campaigns
    )

    p = sub.add_parser(
        "import-csv",
        help="import a CSV file (any size) or an .xlsx workbook into a campaign, in "
        "transactions of at most LEADS_MAX_IMPORT_ROWS rows",
    )
    p.add_argument("file")
    p.add_argument("--campaign", required=True, help="campaign id (cmp_…)")
    p.add_argument(
        "--mapping",
        help='JSON {"column header": "leadField", "fullName", "attribute" or null (ignore)}',
    )
    p.add_argument("--sheet", help="the workbook's sheet to read (default: the first)")
    p.add_argument(
        "--dry-run", action="store_true", help="print what the import would do; write nothing"
    )
    p.add_argument("--no-score", action="store_true", help="store the leads unscored")
    p.add_argument("--on-duplicate", choices=("skip", "update"), default="skip")
    p.add_argument(
        "--owner",
        metavar="EMAIL[,EMAIL...]",
        help="the user the new leads go to; several, comma-separated: in turn, in row order "
        "(a lead merged into by --on-duplicate update gets one only if it has none)",
    )
    p.set_defaults(func=cmd_import_csv)

    p = sub.add_parser(
        "deliver-webhooks",
        help="deliver the webhook outbox in the foreground (what each app process's worker "
        "thread does) until Ctrl-C or SIGTERM",
    )
    p.add_argument("--once", action="store_true", help="send what is due now, then exit (for cron)")
    p.set_defaults(func=cmd_deliver_webhooks)

    p = sub.add_parser("seed-demo", help="fill the database with realistic demo leads")
    p.add_argument("--leads", type=int, default=500, help="how many leads (default 500)")
    p.add_argument("--campaigns", type=int, default=5, help="how many campaigns (default 5)")
    p.add_argument("--seed", type=int, default=7, help="random seed (same seed, same data)")
    p.set_defaults(func=cmd_seed_demo)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (LeadsError, ConfigError) as exc:
        message = getattr(exc, "message", str(exc))
        print(f"error: {message}", file=sys.stderr)
        for detail in getattr(exc, "details", [])[:20]:
            print(f"  {json.dumps(detail, ensure_ascii=False)}", file=sys.stderr)
        return 1
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            field = ".".join(str(p) for p in error["loc"]) or "value"
            print(f"error: {field}: {error['msg']}", file=sys.stderr)
        return 1
    return 0
