import { destinationPeer } from '../config/tls-files.js';
import type { NodeConfig } from '../config/schema.js';
import type { DicomPeer } from '../dicom/scu-association.js';
import { InvalidInputError } from '../errors.js';
import { isAeTitle } from '../validation.js';

/**
 * The PACS `--from` names: a destination of the configuration (its AE title, host, port and TLS
 * files), or AE@host:port written out.
 */
export async function resolvePacs(from: string, config: NodeConfig): Promise<DicomPeer> {
  const destination = config.destinations[from];
  if (destination) return destinationPeer(from, destination);
  const written = /^(.{1,16})@(\[[0-9A-Fa-f:.]+\]|[^@:\s]+):(\d{1,5})$/.exec(from);
  if (written) {
    const [, aeTitle, host, portText] = written;
    const port = Number(portText);
    if (!isAeTitle(aeTitle)) throw new InvalidInputError(`--from ${from}: "${aeTitle}" is not an AE title (1-16 printable characters, no backslash)`);
    if (port < 1 || port > 65535) throw new InvalidInputError(`--from ${from}: ${portText} is not a port number 1-65535`);
    return { aeTitle, host: host.replace(/^\[(.*)\]$/, '$1'), port };
  }
  const names = Object.keys(config.destinations);
  throw new InvalidInputError(
    `--from ${from}: not a destination of the configuration${names.length > 0 ? ` (${names.join(', ')})` : ''} nor AE@host:port`,
  );
}
