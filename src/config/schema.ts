import { z } from 'zod';

const aeTitle = z
  .string()
  .regex(/^[\x20-\x5b\x5d-\x7e]{1,16}$/, 'an AE title is 1-16 printable characters without backslash')
  .refine((value) => value.trim().length > 0, 'an AE title cannot be blank');

const port = z.number().int().min(0).max(65535);

/** 127.0.0.0/8, ::1 and localhost: only this machine can connect. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export const destinationSchema = z.object({
  aeTitle,
  host: z.string().min(1),
  port: port.min(1),
});

/** The configuration file (config/node.json) as written by people; defaults filled in here. */
export const configSchema = z.object({
  dicom: z
    .object({
      aeTitle: aeTitle.default('CTPREP'),
      host: z.string().default('127.0.0.1'),
      port: port.default(11112),
      maxPduLength: z.number().int().min(4096).max(262144).default(262144),
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
      checkIntervalMs: z.number().int().min(50).max(60000).default(500),
    })
    .prefault({}),
  derive: z
    .object({
      /** UIDs of derived series are made under this root; 2.25 makes UUID-derived UIDs. */
      uidRoot: z.string().regex(/^[1-9]\d*(\.(0|[1-9]\d*))*$/).max(40).default('2.25'),
      nodeName: z.string().max(64).default('ct-preprocessing-node'),
    })
    .prefault({}),
  rulesFile: z.string().default('config/rules.json'),
  destinations: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/), destinationSchema).default({}),
  jobs: z
    .object({
      concurrency: z.number().int().min(1).max(64).default(1),
      retryLimit: z.number().int().min(0).max(100).default(3),
      retryDelaySeconds: z.number().int().min(1).default(5),
    })
    .prefault({}),
  delivery: z
    .object({
      retryLimit: z.number().int().min(0).max(1000).default(30),
      retryDelaySeconds: z.number().int().min(1).default(5),
      timeoutMs: z.number().int().min(1000).default(60000),
    })
    .prefault({}),
  inference: z
    .object({
      provider: z.enum(['cpu', 'cuda']).default('cpu'),
      threads: z.number().int().min(0).max(256).default(0),
      modelsDir: z.string().default('models'),
      workers: z.number().int().min(1).max(16).default(1),
    })
    .prefault({}),
});

export type NodeConfig = z.infer<typeof configSchema>;

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
