#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster with a radosgw S3 endpoint on 127.0.0.1:${RGW_PORT:-7480} (one mon, one
# memstore OSD, pools of size 1, no cephx), creates an S3 user, and prints the STORAGE_TEST_* variables for the storage
# contract suite. Needs Debian's packages: apt-get install --no-install-recommends radosgw ceph-mon ceph-osd ceph-mgr.
# Usage: eval "$(bash infra/ci/radosgw-single-node.sh start /tmp/rgw)"; ...; bash infra/ci/radosgw-single-node.sh stop /tmp/rgw
set -euo pipefail
cmd=${1:?usage: radosgw-single-node.sh start|stop DIR}
dir=${2:?usage: radosgw-single-node.sh start|stop DIR}
port=${RGW_PORT:-7480}
access=${RGW_ACCESS_KEY:-contracttestkey}
secret=${RGW_SECRET_KEY:-contract-test-secret-0123456789}

if [[ $cmd == stop ]]; then
  # Clients first, the monitor last (an OSD without its monitor can hang on SIGTERM); SIGKILL what is left after 10 s.
  for name in client.rgw mgr.x osd.0 mon.a; do
    pidfile=$dir/run/$name.pid
    [[ -f $pidfile ]] || continue
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 1 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$dir"
  exit 0
fi

rm -rf "$dir" && mkdir -p "$dir"/{run,log,mon,osd0,mgr}
fsid=$(cat /proc/sys/kernel/random/uuid)
conf=$dir/ceph.conf
cat >"$conf" <<CONF
[global]
fsid = $fsid
mon host = 127.0.0.1:6789
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd objectstore = memstore
memstore device bytes = 1073741824
osd max object name len = 256
osd max object namespace len = 64
run dir = $dir/run
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
keyring = $dir/keyring
[mon.a]
mon data = $dir/mon
[osd.0]
osd data = $dir/osd0
[mgr.x]
mgr data = $dir/mgr
[client.rgw]
rgw frontends = beast endpoint=127.0.0.1:$port
rgw dns name = 127.0.0.1
log file = $dir/log/rgw.log
CONF
ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
monmaptool --create --add a 127.0.0.1:6789 --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring"
ceph-mon -c "$conf" -i a --setuser root --setgroup root
ceph -c "$conf" osd create >/dev/null
ceph-osd -c "$conf" -i 0 --mkfs --setuser root --setgroup root 2>/dev/null
ceph-osd -c "$conf" -i 0 --setuser root --setgroup root 2>>"$dir/log/osd-start.log"
ceph-mgr -c "$conf" -i x --setuser root --setgroup root
radosgw -c "$conf" -n client.rgw --setuser root --setgroup root
radosgw-admin -c "$conf" user create --uid=contract --display-name=contract --access-key="$access" --secret-key="$secret" >/dev/null
for _ in $(seq 1 120); do
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then break; fi
  sleep 0.5
done
curl -s -o /dev/null "http://127.0.0.1:$port/" || { echo "radosgw did not answer on $port; see $dir/log" >&2; exit 1; }
echo "export STORAGE_TEST_ENDPOINT=http://127.0.0.1:$port"
echo "export STORAGE_TEST_REGION=us-east-1"
echo "export STORAGE_TEST_BUCKET=contract-tests"
echo "export STORAGE_TEST_ACCESS_KEY_ID=$access"
echo "export STORAGE_TEST_SECRET_ACCESS_KEY=$secret"
echo "export STORAGE_TEST_CREATE_BUCKET=1"
