#!/usr/bin/env bash
# Instruction counts per /sparql request of two builds of `crosswalk` (BENCHMARKS.md, "The change
# feed's cost on reads"), under callgrind: deterministic, so it holds on a loaded machine where the
# wall-clock harness (benches/sparql.rs) does not. Usage, from a checkout whose seeds both accept:
#   BINS=/path/to/bins REVS="A B" QUERIES="lookup obligations" N=100 benches/ab/instructions.sh
# with $BINS/crosswalk-A and $BINS/crosswalk-B built beforehand; the queries are the mix of
# benches/sparql.rs, read from it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-$(mktemp -d)}
N=${N:-100}
# The query mix of benches/sparql.rs, one file per query, with its prefixes.
python3 - "$here/../sparql.rs" "$out" <<'PY'
import re, sys
s = open(sys.argv[1]).read()
pre = re.search(r'const PREFIXES: &str = "(.*?)";', s).group(1).encode().decode('unicode_escape')
for name, q in re.findall(r'\(\s*"(\w+)",\s*"(.*?)",\s*\)', s, re.S):
    open(f"{sys.argv[2]}/{name}.rq", 'w').write(pre + q.replace('\\"', '"'))
PY
for rev in ${REVS:-51968fe a5bb18f}; do
  bin=${BINS:?}/crosswalk-$rev
  data=$out/data-$rev; rm -rf $data
  port=$((18000 + RANDOM % 1000))
  CROSSWALK_LOG=warn CROSSWALK_CRAWL_SCHEDULE=false $bin serve --data $data --bind 127.0.0.1:$port >/dev/null 2>&1 &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 1; done
  kill $pid; wait $pid || true
  CROSSWALK_LOG=warn CROSSWALK_CRAWL_SCHEDULE=false valgrind --tool=callgrind --callgrind-out-file=$out/cg-$rev.%p $bin serve --data $data --bind 127.0.0.1:$port >/dev/null 2>$out/vg-$rev.log &
  pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 2; done
  for q in ${QUERIES:-lookup obligations aggregate mappings}; do
    body=$(cat "$out/$q.rq")
    for i in $(seq 10); do curl -sf -H 'Accept: application/sparql-results+json' --data-urlencode "query=$body" http://127.0.0.1:$port/sparql >/dev/null; done
    callgrind_control -z $pid >/dev/null
    for i in $(seq $N); do curl -sf -H 'Accept: application/sparql-results+json' --data-urlencode "query=$body" http://127.0.0.1:$port/sparql >/dev/null; done
    callgrind_control --dump=$q $pid >/dev/null
    f=$(ls -t $out/cg-$rev.$pid.* | head -1)
    total=$(grep -m1 '^summary:\|^totals:' $f | awk '{print $2}')
    echo "$rev $q $((total / N)) instructions/request (N=$N)"
  done
  kill $pid; wait $pid || true
done
