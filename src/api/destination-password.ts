import type { Destination } from '../config/schema.js';
import { badRequest } from './http-error.js';

/**
 * What the API shows in place of the password of a destination's orthancUrl (credentials for
 * Orthanc's REST API are given in the URL): lists, responses and audit events never carry it.
 */
export const HIDDEN_PASSWORD = '********';

/** The destination as the API shows and audits it: the orthancUrl's password hidden. */
export function withPasswordHidden(destination: Destination): Destination {
  if (!destination.orthancUrl) return destination;
  const url = new URL(destination.orthancUrl);
  if (!url.password) return destination;
  url.password = HIDDEN_PASSWORD;
  return { ...destination, orthancUrl: url.href };
}

/**
 * A destination sent back as it was shown: the hidden password stands for the saved one, kept only
 * for the same user at the same origin, or changing the host would send the password there. With
 * nothing saved (a new destination), the hidden password is refused.
 */
export function withPasswordKept(destination: Destination, saved: Destination | undefined): Destination {
  if (!destination.orthancUrl) return destination;
  const url = new URL(destination.orthancUrl);
  if (url.password !== HIDDEN_PASSWORD) return destination;
  const before = saved?.orthancUrl ? new URL(saved.orthancUrl) : undefined;
  if (!before?.password || before.origin !== url.origin || before.username !== url.username) {
    throw badRequest(`destination.orthancUrl: type the password again (${HIDDEN_PASSWORD} stands for the saved one only for the same user at the same address)`);
  }
  url.password = before.password;
  return { ...destination, orthancUrl: url.href };
}
