#!/usr/bin/env bash
# Packs bench/providers.ts to run on a GPU machine that has no Node and cannot fetch packages, in
# var/device-bench/ (38 MB, xz, so that it travels with the repository within the GPU machine's
# 64 MiB): this machine's node binary, the benchmark and the inference worker bundled by esbuild,
# onnxruntime-node's Linux x64 runtime (the WebGPU provider is built into it), the Debian packages
# of the Vulkan loader and the GL dispatch libraries, and the first slices of a real series.
#
#   bash bench/pack-for-device.sh [SERIES_DIR] [SLICES]
#   (there) bash var/device-bench/run.sh --models a,b --slices 64 --whole-batch 8
set -euo pipefail
cd "$(dirname "$0")/.."
series=${1:-../shared/data/ct/lung-pet-ct-dx-A0002-siemens-B70f}
slices=${2:-4}
out=var/device-bench
app=$(mktemp -d)
trap 'rm -rf "$app"' EXIT
rm -rf "$out" && mkdir -p "$out" "$app/series" "$app/node_modules"

node_modules/.bin/esbuild bench/providers.ts src/inference/worker.ts --bundle --platform=node --format=esm \
  --target=node20 --external:onnxruntime-node --outdir="$app" --entry-names='[name]' --out-extension:.js=.mjs --minify \
  --banner:js="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" \
  --log-level=warning
# src/dicom/file/dcmjs.ts requires dcmjs at run time: it gets a bundle of its own.
node_modules/.bin/esbuild dcmjs --bundle --platform=node --format=cjs --minify --outfile="$app/node_modules/dcmjs/index.js" --log-level=warning
echo '{ "main": "index.js" }' > "$app/node_modules/dcmjs/package.json"
# worker-pool.ts starts './worker.js' beside the compiled caller.
mv "$app/worker.mjs" "$app/worker.js"
echo '{ "type": "module" }' > "$app/package.json"

runtime=node_modules/onnxruntime-node
mkdir -p "$app/$runtime/bin/napi-v6/linux/x64"
cp -r "$runtime/package.json" "$runtime/dist" "$runtime/lib" "$app/$runtime/"
cp "$runtime/bin/napi-v6/linux/x64/onnxruntime_binding.node" "$app/$runtime/bin/napi-v6/linux/x64/"
mkdir -p "$app/node_modules/onnxruntime-common"
cp -r node_modules/onnxruntime-common/package.json node_modules/onnxruntime-common/dist "$app/node_modules/onnxruntime-common/"
find "$series" -name '*.dcm' | sort | head -n "$slices" | xargs -I{} cp {} "$app/series/"
tar -C "$app" -cf - . | xz -T0 -9 > "$out/app.tar.xz"
xz -T0 -6 -c "$runtime/bin/napi-v6/linux/x64/libonnxruntime.so.1" > "$out/libonnxruntime.so.1.xz"
xz -T0 -6 -c "$(command -v node)" > "$out/node.xz"
# The Vulkan loader, and the GL vendor-neutral dispatch libraries that NVIDIA's Vulkan driver (libGLX_nvidia) needs.
(cd "$app" && apt-get download libvulkan1 libglvnd0 libglx0 libegl1 libgl1 libopengl0 libgles2 2>/dev/null && mv ./*.deb "$OLDPWD/$out/")

cat > "$out/run.sh" <<'EOF'
#!/usr/bin/env bash
# On the GPU machine, from the repository root: unpacks what pack-for-device.sh packed and runs
# bench/providers.ts with the given arguments (models from models/).
set -euo pipefail
here=var/device-bench
app=/tmp/device-bench
for deb in "$here"/*.deb; do dpkg -x "$deb" /; done
ldconfig
xz -d -c "$here/node.xz" > /tmp/node && chmod +x /tmp/node
rm -rf "$app" && mkdir -p "$app" && xz -d -c "$here/app.tar.xz" | tar -C "$app" -xf -
xz -d -c "$here/libonnxruntime.so.1.xz" > "$app/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  [ -f "$icd" ] && { export VK_DRIVER_FILES="$icd"; break; }
done
echo "node $(/tmp/node --version); Vulkan driver ${VK_DRIVER_FILES:-none found}"
/tmp/node "$app/providers.mjs" --series "$app/series" --models-dir "$PWD/models" "$@"
EOF
du -sh "$out"
