import type { Duplex } from 'node:stream';

/**
 * What an association reads from and writes to: a TCP or TLS socket, or in tests an in-memory
 * stream (test/helpers/memory-socket.ts) so that the state machines run without a network.
 */
export type AssociationSocket = Duplex & { readonly remoteAddress?: string; setNoDelay?(noDelay?: boolean): unknown };
