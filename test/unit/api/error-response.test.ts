import { errorResponse } from '../../../src/api/error-response.js';
import { HttpError } from '../../../src/api/http-error.js';
import { ConfigError, InvalidInputError, UnavailableError } from '../../../src/errors.js';

describe('errorResponse', () => {
  it('keeps validation messages, which name the key paths, as 400', () => {
    const message = 'invalid rule:\nrule.match.rows: expected number';
    expect(errorResponse(new InvalidInputError(message))).toEqual({ status: 400, body: { error: { code: 'invalid_input', message } }, unexpected: false });
    expect(errorResponse(new ConfigError('rule.destinations[0]: unknown destination')).status).toBe(400);
  });

  it('passes HTTP errors through and maps unavailable to 503', () => {
    expect(errorResponse(new HttpError(409, 'conflict', 'job is running')).body).toEqual({ error: { code: 'conflict', message: 'job is running' } });
    expect(errorResponse(new UnavailableError('database gone')).status).toBe(503);
  });

  it('maps body-parser errors by their type', () => {
    const parse = Object.assign(new SyntaxError('Unexpected end of JSON input'), { type: 'entity.parse.failed', status: 400 });
    expect(errorResponse(parse).body.error.code).toBe('invalid_json');
    const large = Object.assign(new Error('request entity too large'), { type: 'entity.too.large', status: 413 });
    expect(errorResponse(large).status).toBe(413);
  });

  it('hides an unexpected error behind a generic 500 and marks it for the log', () => {
    const response = errorResponse(new TypeError("Cannot read properties of undefined (reading 'rows') at /srv/node/x.js"));
    expect(response).toEqual({ status: 500, body: { error: { code: 'internal', message: 'internal error; see the node log' } }, unexpected: true });
  });
});
