#!/usr/bin/env python3
"""Draws a Grafana dashboard's panels from a real run, without Grafana.

Starts a local Prometheus (the `prometheus` binary, Debian package `prometheus`) scraping the all-in-one
`streamrec run` on 127.0.0.1:9400 every second, runs a paced MovieLens replay, then evaluates every panel
query of the dashboard (with $service = .* and $__rate_interval = 15s) over the run and draws the time
series in the dashboard's grid with matplotlib (Debian package `python3-matplotlib`). It also prints,
per panel, how many series each query returned, so a query that yields nothing on live data shows up.

This is a picture of what the dashboard's queries return, not a Grafana screenshot: Grafana cannot run
on the machine this was made on.

    python3 scripts/dashboard_snapshot.py [--dashboard infra/grafana/dashboards/streamrec-overview.json]
                                          [--out docs/images/overview-dashboard.png] [--rate 1000] [--limit 30000]
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROM_PORT = 19090
STEP = 2


def prometheus_config(directory):
    path = os.path.join(directory, "prometheus.yml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
            "scrape_configs:\n  - job_name: streamrec\n    static_configs:\n"
            "      - targets: ['127.0.0.1:9400']\n        labels:\n          service: streamrec\n"
        )
    return path


def query_range(expr, start, end):
    params = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": STEP})
    with urllib.request.urlopen(f"http://127.0.0.1:{PROM_PORT}/api/v1/query_range?{params}", timeout=30) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(f"{expr}: {body}")
    return body["data"]["result"]


def concrete(expr):
    return expr.replace("$__rate_interval", "15s").replace('=~"$service"', '=~".*"')


def label_of(metric, legend):
    if legend and "{{" in legend:
        out = legend
        for k, v in metric.items():
            out = out.replace("{{" + k + "}}", v).replace("{{ " + k + " }}", v)
        return out
    return ", ".join(f"{k}={v}" for k, v in metric.items() if k not in ("__name__", "job", "instance")) or legend or "value"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dashboard", default=os.path.join(REPO, "infra/grafana/dashboards/streamrec-overview.json"))
    parser.add_argument("--out", default=os.path.join(REPO, "docs/images/overview-dashboard.png"))
    parser.add_argument("--rate", default="1000", help="events per second of the replay (default 1000)")
    parser.add_argument("--limit", default="30000", help="ratings to replay (default 30000)")
    args = parser.parse_args()

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if shutil.which("prometheus") is None:
        sys.exit("prometheus is not on PATH (Debian: apt-get install prometheus)")
    with open(args.dashboard, encoding="utf-8") as f:
        dashboard = json.load(f)

    work = tempfile.mkdtemp(prefix="streamrec-snapshot-")
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={prometheus_config(work)}", f"--storage.tsdb.path={work}/tsdb",
         f"--web.listen-address=127.0.0.1:{PROM_PORT}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        start = time.time()
        print(f"replaying at {args.rate} events/s (limit {args.limit}); Prometheus scrapes every second", flush=True)
        subprocess.run(["dotnet", "run", "-c", "Release", "--project", os.path.join(REPO, "services/StreamRec.Cli"), "--",
                        "run", "--rate", args.rate, "--limit", args.limit], check=True)
        end = time.time()
        time.sleep(2)

        panels = [p for p in dashboard["panels"] if p.get("type") in ("timeseries", "stat", "state-timeline", "gauge")]
        columns = 3
        rows = (len(panels) + columns - 1) // columns
        fig, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.2 * rows), squeeze=False)
        fig.suptitle(f"{dashboard['title']}: panel queries over a paced MovieLens replay "
                     f"({args.rate} events/s, all-in-one host, dev broker); drawn from Prometheus, not Grafana", fontsize=13)
        empty = []
        for ax, panel in zip(axes.flat, panels):
            ax.set_title(panel["title"], fontsize=10)
            unit = panel.get("fieldConfig", {}).get("defaults", {}).get("unit", "")
            counts = []
            for target in panel.get("targets", []):
                series = query_range(concrete(target["expr"]), start, end)
                counts.append(len(series))
                for s in series:
                    xs = [float(t) - start for t, _ in s["values"]]
                    ys = [float(v) for _, v in s["values"]]
                    if unit == "s":
                        ys = [y * 1000 for y in ys]
                    ax.plot(xs, ys, linewidth=1.2, label=label_of(s["metric"], target.get("legendFormat", "")))
            print(f"  {panel['title']}: series per query {counts}")
            if sum(counts) == 0:
                empty.append(panel["title"])
                ax.text(0.5, 0.5, "no data in this run", ha="center", va="center", transform=ax.transAxes, color="grey")
            ax.set_xlabel("seconds into the run", fontsize=8)
            if unit == "s":
                # Replayed events are years old, so latencies "from occurred" sit at the top bucket: log scale keeps
                # the arrival-based ones readable beside them.
                ax.set_ylabel("ms (log)", fontsize=8)
                if sum(counts) > 0:
                    ax.set_yscale("log")
            ax.tick_params(labelsize=8)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=6, loc="upper left")
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        fig.tight_layout(rect=(0, 0, 1, 0.97))
        os.makedirs(os.path.dirname(args.out), exist_ok=True)
        fig.savefig(args.out, dpi=80)
        print(f"wrote {args.out}; panels without data: {', '.join(empty) if empty else 'none'}")
    finally:
        prom.terminate()
        prom.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
