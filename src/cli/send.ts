import { sendInstances } from '../dicom/sender.js';
import { listFiles } from '../dicom/file/list-files.js';

export async function runSend(
  folder: string,
  options: { ae: string; host: string; port: number; callingAe: string },
): Promise<void> {
  const files = await listFiles(folder);
  const started = performance.now();
  const { files: results } = await sendInstances({
    callingAeTitle: options.callingAe,
    destination: { aeTitle: options.ae, host: options.host, port: options.port },
    files,
  });
  const failed = results.filter((result) => !result.ok);
  const seconds = (performance.now() - started) / 1000;
  console.log(`sent ${results.length - failed.length} of ${results.length} files to ${options.ae}@${options.host}:${options.port} in ${seconds.toFixed(1)} s`);
  for (const result of failed) console.error(`refused (status 0x${result.status.toString(16)}): ${result.path}`);
  if (failed.length > 0) process.exitCode = 1;
}
