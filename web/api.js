// Calls to the JSON API; errors carry the server's message (naming the bad parameter).
export class ApiError extends Error {
  constructor(status, body, params = {}) {
    super(body?.message ?? `HTTP ${status}`);
    this.status = status;
    this.param = body?.param;
    // What was sent for that parameter, so that a message can say what is wrong with it (a query's length).
    this.value = this.param === undefined ? undefined : params[this.param];
  }
}

export async function getJson(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  const qs = query.toString();
  const response = await fetch(qs ? `${path}?${qs}` : path, { headers: { accept: 'application/json' } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body, params);
  return body;
}
