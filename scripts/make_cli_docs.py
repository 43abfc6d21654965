"""Regenerate the command reference in docs/cli.md (between the cli markers) from the
CLI's own help, so the documentation names every command and option."""

from __future__ import annotations

import re
from typing import Any

import typer

from cscwatch.core.config import repo_root
from cscwatch.serve.cli import _register, app


def _walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)]
    if hasattr(cmd, "commands"):
        for name in sorted(cmd.commands):
            out += _walk(cmd.commands[name], [*path, name])
    return out


def render() -> str:
    _register()
    root = typer.main.get_command(app)
    parts = []
    for path, cmd in _walk(root, ["cscwatch"])[1:]:
        ctx = type(root.make_context("cscwatch", [], resilient_parsing=True))(
            cmd, info_name=" ".join(path)
        )
        usage = cmd.get_usage(ctx).replace("Usage: ", "")
        parts.append(f"### `{' '.join(path)}`\n")
        parts.append((cmd.help or "").strip().split("\n\n")[0] + "\n")
        parts.append(f"```\n{usage}\n```\n")
        opts = []
        for p in cmd.params:
            if p.param_type_name == "option":
                names = ", ".join(f"`{o}`" for o in p.opts)
                opts.append(f"| {names} | {(p.help or '').strip()} |")
            elif p.param_type_name == "argument":
                opts.append(f"| `{(p.name or '').upper()}` | argument |")
        if opts:
            parts.append("| option | meaning |\n|---|---|\n" + "\n".join(opts) + "\n")
    return "\n".join(parts)


if __name__ == "__main__":
    path = repo_root() / "docs" / "cli.md"
    text = path.read_text(encoding="utf-8")
    new = re.sub(
        r"(<!-- cli:start -->\n).*(<!-- cli:end -->)",
        lambda m: m.group(1) + render() + "\n" + m.group(2),
        text,
        flags=re.S,
    )
    path.write_text(new, encoding="utf-8")
    print(f"wrote {path}")
