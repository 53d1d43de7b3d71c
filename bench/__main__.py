"""``make bench``: seed each size if needed, measure it, print a table,
write bench/results.json and bench/growth.png.

    python -m bench [--sizes 10000,100000] [--runs 50]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

from bench import env

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PY = sys.executable


def _scale_offers(environ: dict) -> int:
    code = (
        "import django; django.setup(); from catalog.models import Offer; "
        "print(Offer.objects.filter(provider__slug__startswith='scale-').count())"
    )
    out = subprocess.run([PY, "-c", code], env=environ, cwd=ROOT, capture_output=True, text=True)
    return int(out.stdout.strip() or 0) if out.returncode == 0 else 0


def ensure_seeded(offers: int, environ: dict) -> float | None:
    """Migrate and seed the size's database unless it already holds it;
    return the seed time in seconds, or None when nothing was loaded."""
    migrate = [PY, "manage.py", "migrate", "--noinput", "-v", "0"]
    subprocess.run(migrate, env=environ, cwd=ROOT, check=True)
    if _scale_offers(environ) == offers:
        return None
    # The database is the size's own: dropping it is faster than deleting a
    # partial or different load row by row (bench.seed_scale --reset at 1M).
    _database_recreate(offers)
    subprocess.run(migrate, env=environ, cwd=ROOT, check=True)
    t = time.perf_counter()
    subprocess.run(
        [PY, "-m", "bench.seed_scale", "--offers", str(offers)],
        env=environ,
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - t


def _database_recreate(offers: int) -> None:
    socket_dir, _started = env.embedded.postgres_ensure()
    psql = [str(env.embedded._pg_bin("psql")), "-h", socket_dir, "-U", "postgres", "-d", "postgres"]
    name = f"guichet_scale_{offers}"
    subprocess.run([*psql, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=True)
    env.database_url(offers)


ROWS = [
    # label, result path to the figure, path to its floor, target text
    (
        "catalogue list, filtered, page 1",
        ("catalogue_list", "orm"),
        ("catalogue_list", "floor_page_sql"),
        "p50 <= floor + 3 ms",
    ),
    (
        "full-text search page",
        ("search_page", "orm"),
        ("search_page", "floor_page_sql"),
        "p50 <= 2 x floor",
    ),
    (
        "match typical tender",
        ("match_typical", "orm"),
        ("match_typical", "floor_candidate_sql"),
        "p50 <= 15 ms",
    ),
    (
        "match whole category",
        ("match_whole_category", "orm"),
        ("match_whole_category", "floor_candidate_sql"),
        "<= 100 ms",
    ),
]


def table(results: dict) -> str:
    lines = [
        f"{'size':>9}  {'workload':34} {'p50 ms':>9} {'p99 ms':>9} {'floor p50':>9} {'ratio':>7}  target"
    ]
    for size, res in results["sizes"].items():
        for label, (w, k), (fw, fk), target in ROWS:
            fig, floor = res[w][k], res[fw][fk]
            ratio = fig["p50_ms"] / floor["p50_ms"] if floor["p50_ms"] else float("nan")
            lines.append(
                f"{size:>9}  {label:34} {fig['p50_ms']:9.2f} {fig['p99_ms']:9.2f} "
                f"{floor['p50_ms']:9.2f} {ratio:7.2f}  {target}"
            )
        ser, thr, ra = res["list_serialization"], res["matching_throughput"], res["reassess"]
        lines.append(
            f"{size:>9}  {'list serialization':34} serializer {ser['serializer_us_per_row']} us/row, "
            f"end to end {ser['end_to_end_us_per_row']} us/row  (target <= 30 us/row)"
        )
        lines.append(
            f"{size:>9}  {'matching throughput':34} first run {thr['first_run_per_s']} /s, "
            f"re-run {thr['rerun_per_s']} /s  (target >= 20 /s)"
        )
        lines.append(
            f"{size:>9}  {'re-assess after policy change':34} {ra['policy_change_offers_per_s']} offers/s "
            f"-> 1M in {ra['policy_change_1M_extrapolated_s']} s  (target <= 60 s)"
        )
        cel = res.get("celery_round_trip", {})
        if cel.get("measured"):
            ratio = cel["orm"]["p50_ms"] / cel["floor_redis"]["p50_ms"]
            lines.append(
                f"{size:>9}  {'Celery round trip':34} {cel['orm']['p50_ms']:9.2f} {cel['orm']['p99_ms']:9.2f} "
                f"{cel['floor_redis']['p50_ms']:9.2f} {ratio:7.2f}  p50 <= 10 x LPUSH/BRPOP"
            )
    return "\n".join(lines)


def plot(results: dict, path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    sizes = sorted(int(s) for s in results["sizes"])
    fig, ax = plt.subplots(figsize=(8, 5))
    for label, (w, k), (fw, fk), _target in ROWS:
        ax.plot(
            sizes,
            [results["sizes"][str(s)][w][k]["p50_ms"] for s in sizes],
            marker="o",
            label=label,
        )
        ax.plot(
            sizes,
            [results["sizes"][str(s)][fw][fk]["p50_ms"] for s in sizes],
            marker=".",
            linestyle="--",
            label=f"{label} (raw SQL floor)",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("offers")
    ax.set_ylabel("p50 ms")
    ax.set_title("Guichet Cloud: cost growth with catalogue size")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    return True


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    out = HERE / "results.json"
    results = json.loads(out.read_text()) if out.exists() else {}
    results.setdefault("sizes", {})
    results.setdefault("seed_seconds", {})
    for offers in (int(s) for s in args.sizes.split(",")):
        environ = env.environ(offers)
        seeded = ensure_seeded(offers, environ)
        if seeded is not None:
            results["seed_seconds"][str(offers)] = round(seeded, 1)
        print(f"[bench] measuring {offers} offers ...", flush=True)
        proc = subprocess.run(
            [PY, "-m", "bench.run", "--offers", str(offers), "--runs", str(args.runs)],
            env=environ,
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        )
        results["sizes"][str(offers)] = json.loads(proc.stdout.strip().splitlines()[-1])
        out.write_text(json.dumps(results, indent=2))
    print(table(results))
    if plot(results, HERE / "growth.png"):
        print(f"[bench] plot: {HERE / 'growth.png'}")
    print(f"[bench] results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
