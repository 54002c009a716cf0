import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { DicomPeer } from '../dicom/scu-association.js';
import type { ListenerTls } from '../dicom/listener-types.js';
import { ConfigError } from '../errors.js';
import type { Destination, NodeConfig } from './schema.js';

async function pem(file: string | undefined, keyPath: string): Promise<Buffer | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(path.resolve(file));
  } catch (error) {
    throw new ConfigError(`${keyPath}: cannot read ${file}: ${(error as Error).message}`, error);
  }
}

/** The listener's TLS key material, read once at start-up. */
export async function listenerTls(config: NodeConfig): Promise<ListenerTls | undefined> {
  const tls = config.dicom.tls;
  if (!tls) return undefined;
  return {
    port: tls.port,
    key: (await pem(tls.key, 'dicom.tls.key'))!,
    cert: (await pem(tls.cert, 'dicom.tls.cert'))!,
    ca: await pem(tls.ca, 'dicom.tls.ca'),
    requireClientCertificate: tls.requireClientCertificate,
  };
}

/** A destination as the sender reaches it, its TLS files read once at start-up. */
export async function destinationPeer(name: string, destination: Destination): Promise<DicomPeer> {
  const { aeTitle, host, port } = destination;
  if (!destination.tls) return { aeTitle, host, port };
  const where = `destinations.${name}.tls`;
  return {
    aeTitle,
    host,
    port,
    tls: {
      ca: await pem(destination.tls.ca, `${where}.ca`),
      cert: await pem(destination.tls.cert, `${where}.cert`),
      key: await pem(destination.tls.key, `${where}.key`),
    },
  };
}
