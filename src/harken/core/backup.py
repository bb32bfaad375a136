"""`harken backup` / `harken restore`: the database and the uploaded files in one archive.

The archive is a `.tar.gz` with
- `manifest.json`: format version, database vendor, when, which migrations were applied;
- `database.sqlite3` (SQLite's online backup API: a consistent copy while Harken runs) or
  `database.pgdump` (`pg_dump --format=custom`: one consistent snapshot of the database);
- `media/…`: every uploaded file (imports, email attachments, widget screenshots), taken after
  the database so every file a row refers to is there.

Restore writes the database back with the same tools (`sqlite3` backup API; `pg_restore --clean
--single-transaction`, so a failed restore changes nothing) and swaps the media folder, keeping the
current one next to it (`media.before-restore-<time>`). Stop web and workers first. A backup
restores into the same kind of database; to move between SQLite and PostgreSQL, see
docs/operations.md ("Moving from SQLite").
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

FORMAT = "harken-backup"
VERSION = 1


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class BackupSummary:
    path: Path
    vendor: str
    media_files: int
    size_bytes: int


def _db() -> dict[str, Any]:
    return dict(settings.DATABASES["default"])


def _vendor() -> str:
    return connection.vendor


def _pg_env() -> dict[str, str]:
    """libpq environment for pg_dump/pg_restore: no password on the command line."""
    db = _db()
    env = dict(os.environ)
    for key, name in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if db.get(key):
            env[name] = str(db[key])
    env["PGDATABASE"] = str(db["NAME"])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _run(args: list[str]) -> None:
    try:
        done = subprocess.run(args, env=_pg_env(), capture_output=True, text=True)
    except FileNotFoundError as exc:
        raise BackupError(
            f"{args[0]} is not installed; install the PostgreSQL client tools of your server's version."
        ) from exc
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip() or done.stdout.strip()}")


def _applied_migrations() -> list[str]:
    from django.db.migrations.recorder import MigrationRecorder

    return sorted(f"{app}.{name}" for app, name in MigrationRecorder(connection).applied_migrations())


def _media_root() -> Path:
    return Path(settings.MEDIA_ROOT)


def backup(output: Path | None = None) -> BackupSummary:
    """Write a backup archive and return where it is."""
    vendor = _vendor()
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {vendor}.")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    output = Path(output or Path.cwd() / f"harken-backup-{stamp}.tar.gz")
    output.parent.mkdir(parents=True, exist_ok=True)
    media = _media_root()
    with tempfile.TemporaryDirectory(prefix="harken-backup-") as tmp:
        work = Path(tmp)
        if vendor == "sqlite":
            db_file = work / "database.sqlite3"
            source = sqlite3.connect(str(_db()["NAME"]))
            target = sqlite3.connect(db_file)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            db_file = work / "database.pgdump"
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={db_file}"])
        media_files = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "vendor": vendor,
            "created_at": timezone.now().isoformat(),
            "database_file": db_file.name,
            "media_files": len(media_files),
            "migrations": _applied_migrations(),
        }
        (work / "manifest.json").write_text(json.dumps(manifest, indent=2))
        partial = output.with_name(output.name + ".partial")
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "manifest.json", arcname="manifest.json")
            archive.add(db_file, arcname=db_file.name)
            for path in media_files:
                archive.add(path, arcname=f"media/{path.relative_to(media).as_posix()}")
        partial.replace(output)  # never leave a half-written file under the final name
    return BackupSummary(output, vendor, len(media_files), output.stat().st_size)


def read_manifest(archive_path: Path) -> dict[str, Any]:
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            if member is None:
                raise KeyError("manifest.json")
            manifest: dict[str, Any] = json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise BackupError(f"{archive_path} is not a Harken backup ({exc}).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{archive_path} is not a Harken backup.")
    if int(manifest.get("version", 0)) > VERSION:
        raise BackupError("This backup was made by a newer Harken; upgrade before restoring it.")
    return manifest


def restore(archive_path: Path) -> dict[str, Any]:
    """Replace the database and media with the archive's. Returns the manifest."""
    archive_path = Path(archive_path)
    manifest = read_manifest(archive_path)
    vendor = _vendor()
    if manifest["vendor"] != vendor:
        raise BackupError(
            f"This backup is of a {manifest['vendor']} database and DATABASE_URL points at {vendor}. "
            "Restore into the same kind of database (see docs/operations.md to move between them)."
        )
    with tempfile.TemporaryDirectory(prefix="harken-restore-") as tmp:
        work = Path(tmp)
        with tarfile.open(archive_path, "r:gz") as archive:
            archive.extractall(work, filter="data")
        db_file = work / manifest["database_file"]
        connection.close()
        if vendor == "sqlite":
            source = sqlite3.connect(db_file)
            target = sqlite3.connect(str(_db()["NAME"]), timeout=30)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
                  f"--dbname={_pg_env()['PGDATABASE']}", str(db_file)])  # fmt: skip
        _swap_media(work / "media")
    return manifest


def _swap_media(restored: Path) -> None:
    media = _media_root()
    if media.exists() and any(media.iterdir()):
        aside = media.with_name(f"media.before-restore-{timezone.now():%Y%m%d-%H%M%S}")
        media.rename(aside)
    elif media.exists():
        media.rmdir()
    if restored.exists():
        shutil.copytree(restored, media)
    else:
        media.mkdir(parents=True, exist_ok=True)
