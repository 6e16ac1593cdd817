#!/usr/bin/python3
"""Renders bench/perf.py results into docs/performance.md.

usage: bench/report.py [RESULTS_JSON [DOC]]
(defaults: bench/results/latest.json, docs/performance.md)

Each table lives between "<!-- bench:NAME -->" and "<!-- /bench:NAME -->" in the
document; only those regions are rewritten, the prose around them is kept.
"""
import json, os, re, statistics, sys

HERE = os.path.dirname(os.path.abspath(__file__))


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def rng(xs, fmt="{:.2f}"):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    m = fmt.format(statistics.median(xs))
    return m if len(xs) == 1 else f"{m} ({fmt.format(min(xs))}..{fmt.format(max(xs))})"


def f(x, fmt="{:.1f}"):
    return "–" if x is None else fmt.format(x)


def load(part):
    a, b = part.get("load_before"), part.get("load_after")
    if a and b:
        return f"load average {' '.join(a)} before, {' '.join(b)} after"
    if part.get("load"):
        return f"load average {' '.join(part['load'])}"
    return ""


def runs_of(part, key):
    return part.get("runs", {}).get(key, [])


# ---- sections -------------------------------------------------------------------------------

def sec_machine(r):
    m = r["machine"]
    return "\n".join([
        "| | |", "|---|---|",
        f"| CPU | {m['nproc']} × {m['cpu_model']} |",
        f"| memory | {m['mem_gb']} GB |",
        f"| kernel | {m['kernel']} |",
        f"| build | `{m['binary']}` (buildtype={m['buildtype']}) |",
        f"| run | {m['date']}, load average {' '.join(m['loadavg'])} at start |",
    ])


E2E_ROWS = [
    ("seed/standalone", "seed_pipeline.py", "`recipe-scraperd broker`", "stdout (print)"),
    ("seed/mockbroker", "seed_pipeline.py", "mockbroker", "stdout (print)"),
    ("daemon/embedded/stdout", "recipe-scraperd", "embedded", "stdout → /dev/null"),
    ("daemon/embedded/journal", "recipe-scraperd", "embedded", "journal"),
    ("daemon/standalone/stdout", "recipe-scraperd", "`recipe-scraperd broker`", "stdout → /dev/null"),
    ("daemon/standalone/journal", "recipe-scraperd", "`recipe-scraperd broker`", "journal"),
    ("daemon/mockbroker/stdout", "recipe-scraperd", "mockbroker", "stdout → /dev/null"),
]


def sec_e2e(r):
    e = r["e2e"]
    def seed_of(key, field):
        # The seed on the same broker process; the embedded broker has no
        # Python counterpart, so the daemon there is compared with the seed
        # on `recipe-scraperd broker`.
        kind = "mockbroker" if "/mockbroker" in key else "standalone"
        return med([x[field] for x in runs_of(e, f"seed/{kind}")])
    out = [f"{e['site_pages']} pages, {load(e)}; median (min..max) of the runs shown in n; "
           "× seed: ratio of medians to the seed pipeline on the same broker (for the embedded "
           "broker: on `recipe-scraperd broker`), same run.", "",
           "| pipeline | broker | sink | n | wall s | pages/s | × seed | crawl phase pages/s | × seed | CPU s | peak RSS MB |",
           "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for key, who, broker, sink in E2E_ROWS:
        xs = runs_of(e, key)
        if not xs:
            continue
        pps = med([x["pages_per_s"] for x in xs])
        cps = med([x["crawl_pages_per_s"] for x in xs])
        seed, seed_crawl = seed_of(key, "pages_per_s"), seed_of(key, "crawl_pages_per_s")
        out.append(f"| {who} | {broker} | {sink} | {len(xs)} | {rng([x['wall_s'] for x in xs])} | "
                   f"{f(pps)} | {f(pps / seed if seed and pps else None, '{:.1f}×')} | {f(cps)} | "
                   f"{f(cps / seed_crawl if seed_crawl and cps else None, '{:.0f}×')} | "
                   f"{rng([x['cpu_s'] for x in xs])} | {rng([x['maxrss_kb'] / 1024 for x in xs], '{:.0f}')} |")
    return "\n".join(out)


def sec_threads(r):
    e = r["e2e"]
    keys = [k for k in ("daemon/embedded/stdout", "daemon/embedded/journal", "daemon/standalone/stdout",
                        "daemon/standalone/journal") if runs_of(e, k)]
    names = sorted({n for k in keys for x in runs_of(e, k) for n in x["threads_cpu_s"]})
    out = ["| thread | " + " | ".join(k.replace("daemon/", "") for k in keys) + " |",
           "|---|" + "--:|" * len(keys)]
    for n in names + ["(exited before the last sample)", "total (rusage)"]:
        cells = []
        for k in keys:
            xs = runs_of(e, k)
            if n == "total (rusage)":
                v = med([x["cpu_s"] for x in xs])
            elif n.startswith("(exited"):
                v = med([x["unattributed_cpu_s"] for x in xs])
            else:
                v = med([x["threads_cpu_s"].get(n, 0.0) for x in xs])
            cells.append(f(v, "{:.2f}"))
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    seed = runs_of(e, "seed/standalone")
    if seed:
        out += ["", f"seed_pipeline.py, same run: {rng([x['cpu_s'] for x in seed])} s CPU "
                f"(one Python thread does the fetching and extraction; librdkafka threads are idle), "
                f"produce phase {rng([x['produce_s'] for x in seed])} s, consume phase "
                f"{rng([x['consume_s'] for x in seed])} s."]
    return "\n".join(out)


def ratio(a, b):
    return a / b if a and b else None


def sec_pipeline(r):
    p = r["pipeline"]
    rounds = p["rounds"]
    def col(key, field):
        return [x[key][field] if x.get(key) else None for x in rounds]
    def per_page(key, field, scale=1000.0):
        return [x[key][field] * scale / x[key]["pages"] if x.get(key) and x[key]["pages"] else None
                for x in rounds]
    out = [f"Daemon: {p['site_pages']} pages; seed_pipeline.py: {p['seed_pages']} pages; the three "
           f"interleaved in each of {len(rounds)} rounds, each on a fresh `recipe-scraperd broker`; "
           f"{load(p)}. Median (min..max); × seed: median of the ratios within a round.", "",
           "| run | pages/s | × seed | crawl phase pages/s | × seed | after the crawl s | CPU ms/page "
           "| peak RSS MB |", "|---|--:|--:|--:|--:|--:|--:|--:|"]
    seed_pps, seed_cps = col("seed", "pages_per_s"), col("seed", "crawl_pages_per_s")
    for key, label in (("seed", f"seed_pipeline.py, {p['seed_pages']} pages"),
                       ("noraw", f"recipe-scraperd, {p['site_pages']} pages, raw_topic off"),
                       ("raw", f"recipe-scraperd, {p['site_pages']} pages, raw_topic on (default)")):
        pps, cps = col(key, "pages_per_s"), col(key, "crawl_pages_per_s")
        after = [x[key]["wall_s"] - (x[key]["crawl_end_s"] if key != "seed" else x[key]["produce_s"])
                 if x.get(key) else None for x in rounds]
        xs = [ratio(a, b) for a, b in zip(pps, seed_pps)]
        xc = [ratio(a, b) for a, b in zip(cps, seed_cps)]
        out.append(f"| {label} | {rng(pps, '{:.0f}')} | {rng(xs, '{:.1f}') if key != 'seed' else '1'} | "
                   f"{rng(cps, '{:.0f}')} | {rng(xc, '{:.1f}') if key != 'seed' else '1'} | "
                   f"{rng(after, '{:.1f}')} | {rng(per_page(key, 'cpu_s'), '{:.2f}')} | "
                   f"{rng([x[key]['maxrss_kb'] / 1024 if x.get(key) else None for x in rounds], '{:.0f}')} |")
    out += ["", "| round | load average (1 min) | seed pages/s | raw_topic off pages/s | × | raw_topic on pages/s | × |",
            "|--:|--:|--:|--:|--:|--:|--:|"]
    for i, x in enumerate(rounds):
        sp = x["seed"]["pages_per_s"] if x.get("seed") else None
        a, b = x["noraw"]["pages_per_s"], x["raw"]["pages_per_s"]
        out.append(f"| {i + 1} | {x['load'][0]} | {f(sp)} | {f(a, '{:.0f}')} | {f(ratio(a, sp), '{:.1f}')} | "
                   f"{f(b, '{:.0f}')} | {f(ratio(b, sp), '{:.1f}')} |")
    return "\n".join(out)


def sec_codec(r):
    c = r["codec"]
    off = c["runs"].get("off", [])
    off_cpu = med([x["cpu_s"] / x["pages"] for x in off if x["pages"]])
    off_w = med([x["wire_bytes"] / x["pages"] for x in off if x["pages"]])
    out = [f"{c['site_pages']} pages (the dev corpus linked {c['site_pages'] // 128} times; "
           f"{c['page_bytes'] / 1024:.0f} KiB of HTML per page on average), raw_topic on with each "
           f"`raw_compression`, against raw_topic off; {load(c)}. Bytes on the wire: what the daemon "
           "sent to the brokers (TCP bytes acknowledged, sampled), less the raw_topic-off run's.", "",
           "| raw_compression | n | daemon CPU ms/page | raw topic's CPU ms/page | raw KiB/page on the wire "
           "| ratio | peak RSS MB | pages/s |", "|---|--:|--:|--:|--:|--:|--:|--:|"]
    def cpu_of(key):
        return -1 if key == "off" else med([x["cpu_s"] / x["pages"] for x in c["runs"][key] if x["pages"]]) or 0
    for key in sorted(c["runs"], key=cpu_of):
        xs = c["runs"][key]
        cpu = med([x["cpu_s"] / x["pages"] for x in xs if x["pages"]])
        w = med([x["wire_bytes"] / x["pages"] for x in xs if x["pages"]])
        raw = None if key == "off" or w is None or off_w is None else w - off_w
        out.append(f"| {'(raw_topic off)' if key == 'off' else key} | {len(xs)} | {f(cpu * 1000 if cpu else None, '{:.2f}')} | "
                   f"{f((cpu - off_cpu) * 1000 if cpu and off_cpu and key != 'off' else None, '{:.2f}')} | "
                   f"{f(raw / 1024 if raw else None, '{:.0f}')} | "
                   f"{f(c['page_bytes'] / raw if raw else None, '{:.1f}×')} | "
                   f"{rng([x['maxrss_kb'] / 1024 for x in xs], '{:.0f}')} | "
                   f"{rng([x['pages_per_s'] for x in xs], '{:.0f}')} |")
    return "\n".join(out)


def thread_kind(name):
    """rsd-scraper-0 and -1 as rsd-scraper-*, librdkafka's broker threads as rdk:broker*."""
    return re.sub(r"(rsd-scraper-|rdk:broker)-?\d+$", r"\1*", name)


def merged_top(top, n=15):
    """The entries of one function summed over the threads of one kind."""
    acc = {}
    for t in top:
        key = (thread_kind(t["thread"]), t["symbol"], t["dso"])
        acc[key] = acc.get(key, 0.0) + t["percent"]
    rows = sorted(acc.items(), key=lambda kv: -kv[1])[:n]
    return [{"thread": k[0], "symbol": k[1], "dso": k[2], "percent": v} for k, v in rows]


def sec_profile(r):
    p = r["profile"]
    if "runs" not in p:
        return f"(not measured: {p.get('skipped', 'no result')})"
    out = [f"perf record -F 499 -g of the daemon in one {p['site_pages']}-page run each; share of "
           f"all samples of the process, by function and kind of thread (the per-thread entries "
           f"of at least 0.5 % summed; `pvm_irq_enable` is the hypervisor's interrupt window, "
           f"where page faults and TLB shootdowns show); {load(p)}.", ""]
    for key, label in (("noraw", "raw_topic off"), ("raw", "raw_topic on")):
        x = p["runs"].get(key)
        if not x:
            continue
        out += [f"{label} ({x['cpu_s']:.1f} s CPU, {x['wall_s']:.1f} s wall):", "",
                "| % | thread | function | object |", "|--:|---|---|---|"]
        for t in merged_top(x["top"]):
            out.append(f"| {t['percent']:.1f} | {t['thread']} | `{t['symbol']}` | {t['dso']} |")
        out.append("")
    return "\n".join(out).rstrip()


def sec_scaling(r):
    s = r["scaling"]
    out = [f"{s['site_pages']}-page site unless the row says 512, embedded broker; {load(s)}.", "",
           "| configuration | n | wall s | pages/s | crawl phase pages/s | CPU s | peak RSS MB |",
           "|---|--:|--:|--:|--:|--:|--:|"]
    labels = {}
    def order(key):
        kind, v = key.split("/")
        return (["pipeline", "threads", "ring", "connections"].index(kind), int(v))
    for key, xs in sorted(s["runs"].items(), key=lambda kv: order(kv[0])):
        label = labels.get(key)
        if not label:
            kind, v = key.split("/")
            label = {"pipeline": f"full pipeline, {v} pages", "threads": f"threads = {v}, consumer off",
                     "ring": f"ring capacity = {v}, consumer off",
                     "connections": f"max_connections = {v}, consumer off"}[kind]
        out.append(f"| {label} | {len(xs)} | {rng([x['wall_s'] for x in xs])} | "
                   f"{f(med([x['pages_per_s'] for x in xs]))} | {f(med([x['crawl_pages_per_s'] for x in xs]))} | "
                   f"{rng([x['cpu_s'] for x in xs])} | {rng([x['maxrss_kb'] / 1024 for x in xs], '{:.0f}')} |")
    big = s["runs"].get(f"pipeline/{s['site_pages']}")
    seed = [x["crawl_pages_per_s"] for x in r.get("e2e", {}).get("runs", {}).get("seed/standalone", [])]
    if big and seed:
        pps, sp = med([x["pages_per_s"] for x in big]), med(seed)
        out += ["", f"Full pipeline at {s['site_pages']} pages: **{pps:.0f} pages/s** end to end. The seed "
                f"pipeline's sustained rate (its crawl phase in the e2e part; on this site it would take "
                f"~{s['site_pages'] / sp:.0f} s) is {sp:.1f} pages/s: **{pps / sp:.0f}×** (different runs)."]
    return "\n".join(out)


def sec_resources(r):
    out = ["| figure | value | target |", "|---|--:|---|"]
    res = r.get("resources", {})
    for key, xs in res.get("runs", {}).items():
        broker, raw, conns = key.split("/")
        out.append(f"| peak RSS (VmHWM), 512-page crawl, threads 2, ring 1024, raw_topic "
                   f"{'on (default)' if raw == 'raw' else 'off'}, max_connections {conns}"
                   f"{' (default)' if conns == '32' else ''}, {broker} broker (n={len(xs)}) | "
                   f"{rng([x['maxrss_kb'] / 1024 for x in xs], '{:.1f}')} MB | ≤ 64 MB |")
    e = r.get("e2e", {})
    for k in ("daemon/standalone/stdout", "daemon/embedded/stdout"):
        ys = runs_of(e, k)
        if ys:
            out.append(f"| peak RSS, e2e runs: raw_topic off, max_connections 64, {k.split('/')[1]} broker (n={len(ys)}) | "
                       f"{rng([x['maxrss_kb'] / 1024 for x in ys], '{:.1f}')} MB | ≤ 64 MB |")
    idle = r.get("idle", {})
    for b, x in idle.get("runs", {}).items():
        out.append(f"| idle CPU over {x['seconds']:.0f} s, {b} broker | {x['cpu_percent']:.3f} % "
                   f"({x['wakeups_per_s']:.1f} wakeups/s) | ≤ 0.5 % |")
    j = r.get("journal", {})
    if "sink" in j:
        out.append(f"| journal sink entries/s vs bare sd_journal_sendv | {j['sink']['entries_per_s']:.0f} vs "
                   f"{j['sendv']['entries_per_s']:.0f} = {100 * j['ratio_sink_vs_sendv']:.0f} % | ≥ 90 % |")
    fr = r.get("frontier", {})
    if fr:
        out.append(f"| frontier, bytes per queued URL (1M URLs of {fr['mean_url_bytes']:.0f} B) | "
                   f"{fr['rss_bytes_per_url']:.0f} B RSS ({fr['heap_overhead_bytes_per_url']:.0f} B beyond the URL) | ≤ 200 B |")
    return "\n".join(out)


def sec_idle(r):
    idle = r.get("idle", {})
    if not idle.get("runs"):
        return "(not measured)"
    out = [f"{load(idle)}.", "", "| thread | " + " | ".join(f"{b}: CPU ms / wakeups/s" for b in idle["runs"]) + " |",
           "|---|" + "--:|" * len(idle["runs"])]
    names = sorted({n for x in idle["runs"].values() for n in x["threads"]})
    for n in names:
        cells = []
        for x in idle["runs"].values():
            t = x["threads"].get(n)
            cells.append("–" if not t else f"{1000 * t['cpu_s']:.0f} / {t['wakeups_per_s']:.1f}")
        out.append(f"| {n} | " + " | ".join(cells) + " |")
    return "\n".join(out)


def sec_journal(r):
    j = r.get("journal", {})
    if "sink" not in j:
        return f"(not measured: {j.get('skipped', 'no result')})"
    out = [f"{int(j['rounds'])} rounds × {int(j['entries_per_round'])} entries of a {int(j['record_bytes'])}-byte "
           f"record, private journald (tmpfs, rate limit off); {load(j)}.", "",
           "| writer | entries/s | client CPU µs/entry |", "|---|--:|--:|"]
    for k, label in (("sink", "rsd_sink_write (journal sink)"), ("sendv", "bare sd_journal_sendv, prebuilt iovecs"),
                     ("send", "bare sd_journal_send, printf formats")):
        out.append(f"| {label} | {j[k]['entries_per_s']:.0f} | {j[k]['cpu_us_per_entry']:.1f} |")
    out += ["", f"Journal sink / bare sendv (median of per-round ratios): **{100 * j['ratio_sink_vs_sendv']:.0f} %**."]
    return "\n".join(out)


def sec_extract(r):
    x = r.get("extract", {})
    if not x:
        return "(not measured)"
    mb = x["corpus_bytes"] / 1e6
    rs = x["recipe_scrapers_ms_per_page"]
    out = [f"{x['corpus_pages']} pages, {mb:.1f} MB; {load(x)}.", "",
           "| extractor | ms/page | MB/s | × recipe-scrapers |", "|---|--:|--:|--:|"]
    rows = []
    for line in x["bench_extract"].splitlines():
        m = re.match(r"(fast path \+ links|fast path|full gumbo parse)\s+([\d.]+) ms/page\s+([\d.]+) MB/s", line)
        if m:
            rows.append((m.group(1), float(m.group(2)), float(m.group(3))))
    rsm = rs.get("median")
    for name, ms, mbs in rows:
        out.append(f"| recipe-scraperd {name} (bench_extract, one thread) | {ms:.2f} | {mbs:.0f} | "
                   f"{f(rsm / ms if rsm else None, '{:.0f}×')} |")
    if rsm:
        out.append(f"| recipe-scrapers {''} generic schema.org (score.py, n={rs['n']}, "
                   f"{rs['min']:.0f}..{rs['max']:.0f}) | {rsm:.1f} | "
                   f"{mb / x['corpus_pages'] / (rsm / 1000):.1f} | 1× |")
    return "\n".join(out)


def sec_ring(r):
    x = r.get("ring", {})
    if "output" not in x:
        return f"(not measured: {x.get('skipped', 'no result')})"
    return f"{load(x)}.\n\n```\n{x['output'].rstrip()}\n```"


SECTIONS = {"machine": sec_machine, "e2e": sec_e2e, "pipeline": sec_pipeline, "codec": sec_codec,
            "profile": sec_profile,
            "pipeline_before": lambda r: sec_pipeline({"pipeline": r["pipeline_before"]}),
            "profile_before": lambda r: sec_profile({"profile": r["profile_before"]}), "threads": sec_threads, "scaling": sec_scaling,
            "resources": sec_resources, "idle": sec_idle, "journal": sec_journal,
            "extract": sec_extract, "ring": sec_ring}


def render(results, doc):
    text = open(doc).read()
    for name, fn in SECTIONS.items():
        try:
            body = fn(results)
        except KeyError as e:
            body = f"(not measured: no {e} in the results)"
        pat = re.compile(rf"(<!-- bench:{name} -->\n).*?(<!-- /bench:{name} -->)", re.S)
        text, n = pat.subn(lambda m: m.group(1) + body + "\n" + m.group(2), text)
        if n == 0:
            print(f"report: no <!-- bench:{name} --> region in {doc}", file=sys.stderr)
    with open(doc, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    res = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "results", "latest.json")
    doc = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(HERE), "docs", "performance.md")
    render(json.load(open(res)), doc)
