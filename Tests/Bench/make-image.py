#!/usr/bin/env python3
"""Writes a `docker save` archive of a test image with LAYERS layers of MIB_PER_LAYER MiB of
incompressible data each, for the image benchmarks.
Usage: make-image.py OUTPUT.tar NAME:TAG LAYERS MIB_PER_LAYER"""
import hashlib, io, json, os, sys, tarfile, time

output, name, layers, mib = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
work = output + ".d"
os.makedirs(work, exist_ok=True)
diff_ids, paths = [], []
for i in range(layers):
    path = os.path.join(work, f"layer{i}.tar")
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        info = tarfile.TarInfo(f"data/layer{i}.bin")
        info.size = mib << 20
        info.mtime = 1700000000
        with open("/dev/urandom", "rb") as random:
            t.addfile(info, io.BufferedReader(random, buffer_size=1 << 20))
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    diff_ids.append("sha256:" + h.hexdigest())
    paths.append(path)
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
                     "config": {"Cmd": ["sh"]}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
                     "history": [{"created": "2026-01-01T00:00:00Z"} for _ in diff_ids]}, sort_keys=True).encode()
config_id = hashlib.sha256(config).hexdigest()
with tarfile.open(output, "w", format=tarfile.PAX_FORMAT) as out:
    def add(arcname, data):
        info = tarfile.TarInfo(arcname)
        info.size = len(data)
        out.addfile(info, io.BytesIO(data))
    for path, diff in zip(paths, diff_ids):
        out.add(path, arcname=f"blobs/sha256/{diff[7:]}")
    add(f"blobs/sha256/{config_id}", config)
    add("manifest.json", json.dumps([{"Config": f"blobs/sha256/{config_id}", "RepoTags": [name],
                                      "Layers": [f"blobs/sha256/{d[7:]}" for d in diff_ids]}]).encode())
for path in paths:
    os.remove(path)
os.rmdir(work)
print(f"{output}: {layers} layers of {mib} MiB, image sha256:{config_id}")
