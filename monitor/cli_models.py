"""`monitor model ...`: the model registry as an operator sees it (list, rollback).

Training is `monitor train` (in cli.py, which `monitor run` also uses); see
`classifiers.registry` for the layout and `classifiers.promotion` for the rule.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from classifiers import registry

model_app = typer.Typer(help="List trained models; roll back to an earlier one.", no_args_is_help=True)


def _cli() -> Any:
    from monitor import cli  # the shared shell: settings, consoles

    return cli


@model_app.command("list")
def model_list() -> None:
    """Every trained model: version, date, data hash, figures, promotion decision; * marks the current one."""
    cli = _cli()
    versions = registry.list_versions(cli._settings().models_dir)
    if not versions:
        cli.out.print("no trained models yet: run `monitor train`")
    for version in versions:
        cli.out.print(describe(version), markup=False, highlight=False)


def describe(version: registry.Version) -> str:
    """One line: current mark, version, date, data hash, CV and holdout macro-F1, decision."""
    card, decision = version.card, version.card.get("promotion", {})
    holdout = decision.get("candidate", {})
    verdict = ("promoted" if decision.get("promoted") else "not promoted") if decision else ""
    return (f"{'*' if version.current else ' '} {version.name}  {str(card.get('created_at', '?'))[:16]}  "
            f"data {str(card.get('data_sha256', '?'))[:8]}  "
            f"CV macro-F1 {_figure(card.get('metrics', {}).get('macro_f1'))}  "
            f"holdout macro-F1 tags {_figure(holdout.get('tagger'))} units {_figure(holdout.get('units'))}  "
            f"{verdict}").rstrip()


def _figure(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, float) else "-"


@model_app.command("rollback")
def model_rollback(
    version: Annotated[str | None, typer.Argument(help="Version to make current (default: the previous one).")] = None,
) -> None:
    """Make an earlier model current again; a running worker picks it up within seconds."""
    cli = _cli()
    root = cli._settings().models_dir
    before = registry.current_version(root)
    now_current = registry.rollback(root, version)
    cli.out.print(f"current model is now {now_current} (was {before})", markup=False, highlight=False)
