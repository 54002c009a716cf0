import { z } from 'zod';
import { MAX_RECEIVE_PDU_LENGTH, MIN_RECEIVE_PDU_LENGTH } from '../dicom/pdu-limits.js';
import { aeTitleSchema, portSchema, uidRootSchema } from '../validation.js';
import { PROVIDERS } from '../inference/providers.js';
import { viewerUrlSchema } from './viewer-url.js';

const aeTitle = aeTitleSchema;
const port = portSchema;

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

const callerSchema = z.strictObject({
  /** The calling AE title; '*' lets any AE in (from the addresses given, if any). */
  aeTitle: z.union([z.literal('*'), aeTitle]),
  /** IP addresses it may call from; absent: any. */
  addresses: z.array(z.ipv4().or(z.ipv6())).optional(),
  /** An instance it sends again with other content: keep the first copy (and record it), or replace it. */
  overwrite: z.enum(['keep-first', 'replace']).default('keep-first'),
});

export const destinationSchema = z.object({
  aeTitle,
  host: z.string().min(1),
  port: port.min(1),
  /**
   * Where the destination is an Orthanc: its REST API (e.g. http://127.0.0.1:8042), so that a
   * derived series superseded by a newer generation is deleted there once the newer one is in.
   * Credentials, if any, in the URL or in CTPREP_DESTINATION_<NAME>_ORTHANC_URL.
   */
  orthancUrl: z.url({ protocol: /^https?$/ }).optional(),
  /** Where a person opens a delivered derived series (config/viewer-url.ts); the console links to it. */
  viewerUrl: viewerUrlSchema.optional(),
  /** DICOM over TLS to this destination: PEM files of the CA its certificate must chain to, and of our client certificate. */
  tls: z.strictObject({ ca: z.string().optional(), cert: z.string().optional(), key: z.string().optional() }).optional(),
});

/** The configuration file (config/node.json) as written by people; defaults filled in here. */
export const configSchema = z.object({
  dicom: z
    .object({
      aeTitle: aeTitle.default('CTPREP'),
      host: z.string().default('127.0.0.1'),
      port: port.default(11112),
      maxPduLength: z.number().int().min(MIN_RECEIVE_PDU_LENGTH).max(MAX_RECEIVE_PDU_LENGTH).default(MAX_RECEIVE_PDU_LENGTH),
      /**
       * Who may send to the node. Absent: the AE titles of the configured destinations (the PACS
       * the node serves), from any address; any other caller is rejected at association.
       */
      callers: z.array(callerSchema).optional(),
      /** DICOM over TLS on a port of its own (2762 is the registered one); PEM files. */
      tls: z
        .strictObject({
          port: port.default(2762),
          key: z.string(),
          cert: z.string(),
          /** CA file that client certificates must chain to. */
          ca: z.string().optional(),
          /** Refuse clients without a certificate signed by ca (mutual authentication). */
          requireClientCertificate: z.boolean().default(true),
        })
        .refine((value) => !value.requireClientCertificate || value.ca !== undefined, {
          path: ['ca'],
          message: 'give the CA that client certificates must chain to, or set requireClientCertificate to false',
        })
        .optional(),
      limits: z
        .object({
          maxAssociations: z.number().int().min(1).max(1000).default(32),
          maxAssociationsPerCaller: z.number().int().min(1).max(1000).default(8),
          setupTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
          pduTimeoutMs: z.number().int().min(100).max(600_000).default(30_000),
          idleTimeoutMs: z.number().int().min(100).max(3_600_000).default(60_000),
        })
        .prefault({}),
    })
    .prefault({}),
  api: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: port.default(8080),
      /**
       * Bearer token the API and /metrics ask for (Authorization: Bearer <token>). Required when
       * host is not a loopback address; better given as CTPREP_API_TOKEN than written here.
       */
      token: z.string().min(16, 'an API token has at least 16 characters').regex(/^[\x21-\x7e]+$/, 'an API token is printable ASCII without spaces').optional(),
      /**
       * Host names the API is reached by besides this machine's own (localhost, 127.0.0.1, [::1]),
       * e.g. the node's DNS name behind a reverse proxy. A request naming any other Host is refused
       * (DNS rebinding). Empty with a token and a non-loopback host: any name is accepted.
       */
      allowedHosts: z.array(z.string().min(1).regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or address')).default([]),
    })
    .prefault({})
    .refine((api) => api.token !== undefined || isLoopbackHost(api.host), {
      path: ['token'],
      message: 'the API listens beyond this machine (api.host is not a loopback address): set an API token (api.token or CTPREP_API_TOKEN)',
    }),
  /** Where received instances, derived series and the embedded database live. */
  dataDir: z.string().default('var'),
  /** A postgres:// URL; when absent the node runs on embedded Postgres under dataDir. */
  databaseUrl: z.string().optional(),
  databaseSchema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  completion: z
    .object({
      quietSeconds: z.number().positive().max(3600).default(3),
      /**
       * Quiet time of a series whose last send did not end normally (an abort, a lost connection,
       * a refused instance, a restart of the node): the sender gets time to send it again.
       */
      unconfirmedQuietSeconds: z.number().positive().max(86_400).default(600),
      /** A series with fewer slices than this is not routed (state incomplete). */
      minSlices: z.number().int().min(1).max(10_000).default(1),
      checkIntervalMs: z.number().int().min(50).max(60000).default(500),
    })
    .prefault({}),
  derive: z
    .object({
      /** UIDs of derived series are made under this root; 2.25 makes UUID-derived UIDs. */
      uidRoot: uidRootSchema.default('2.25'),
      nodeName: z.string().max(64).default('ct-preprocessing-node'),
    })
    .prefault({}),
  rulesFile: z.string().default('config/rules.json'),
  /** Kernel calibrations as JSON (ctprep calibrate writes them here); the node imports them at start. */
  calibrationsDir: z.string().default('config/calibrations'),
  destinations: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), destinationSchema).default({}),
  jobs: z
    .object({
      concurrency: z.number().int().min(1).max(64).default(1),
      retryLimit: z.number().int().min(0).max(100).default(3),
      retryDelaySeconds: z.number().int().min(1).default(5),
      /** How often a worker says it is alive while it runs a job or sends a delivery. */
      heartbeatSeconds: z.number().positive().max(60).default(2),
      /** A worker silent this long has died: its job or delivery is queued again at once. */
      staleAfterSeconds: z.number().positive().max(3600).default(10),
    })
    .prefault({})
    .refine((jobs) => jobs.staleAfterSeconds >= 3 * jobs.heartbeatSeconds, {
      path: ['staleAfterSeconds'],
      message: 'staleAfterSeconds must be at least three heartbeats, or live workers would look dead',
    }),
  delivery: z
    .object({
      retryLimit: z.number().int().min(0).max(1000).default(30),
      retryDelaySeconds: z.number().int().min(1).default(5),
      timeoutMs: z.number().int().min(1000).default(60000),
    })
    .prefault({}),
  /**
   * Clean-up of what was delivered: a finished job's derived files after derivedHours, a series'
   * spool files after spoolHours once every job of it is done (or no rule matched it); and, while
   * the data folder's file system is fuller than highWaterPercent, the oldest such first, whatever
   * their age. Nothing still to be delivered is ever removed. 0 hours: never by age.
   */
  retention: z
    .object({
      derivedHours: z.number().min(0).default(24 * 7),
      spoolHours: z.number().min(0).default(24 * 30),
      highWaterPercent: z.number().min(1).max(100).default(90),
      intervalSeconds: z.number().int().min(1).default(600),
    })
    .prefault({}),
  inference: z
    .object({
      provider: z.enum(PROVIDERS).default('cpu'),
      threads: z.number().int().min(0).max(256).default(0),
      modelsDir: z.string().default('models'),
      workers: z.number().int().min(1).max(16).default(1),
    })
    .prefault({}),
});

export type NodeConfig = z.infer<typeof configSchema>;
export type CallerConfig = z.infer<typeof callerSchema>;

/** The callers the listener lets in: as configured, or the destinations' AE titles. */
export function allowedCallers(config: NodeConfig): CallerConfig[] {
  if (config.dicom.callers) return config.dicom.callers;
  const titles = [...new Set(Object.values(config.destinations).map((destination) => destination.aeTitle))];
  return titles.map((title) => ({ aeTitle: title, overwrite: 'keep-first' as const }));
}

/**
 * The Host names the API answers to (see api/allowed-hosts.ts): the configured ones and the bound
 * address; undefined (any) for a token-guarded node listening beyond loopback with none configured.
 */
export function apiHostNames(api: NodeConfig['api']): string[] | undefined {
  const wildcard = api.host === '0.0.0.0' || api.host === '::';
  if (api.allowedHosts.length === 0 && api.token !== undefined && !isLoopbackHost(api.host)) return undefined;
  return [...api.allowedHosts, ...(wildcard ? [] : [api.host])];
}
export type Destination = z.infer<typeof destinationSchema>;
