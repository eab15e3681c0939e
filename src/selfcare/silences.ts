/** Alertmanager's silences (API v2): a pause in the portal shows as a silence in Alertmanager and Grafana. */
export interface Silences {
  /** Silence every alert with `account="<uid>"` until `until`; resolves to the silence id. */
  create(account: string, until: Date, createdBy: string, comment: string): Promise<string>;
  expire(id: string): Promise<void>;
}

export function alertmanagerSilences(baseUrl: string, timeoutMs = 5_000): Silences {
  const url = (path: string) => new URL(path, baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`);
  return {
    async create(account, until, createdBy, comment) {
      const response = await fetch(url("api/v2/silences"), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          matchers: [{ name: "account", value: account, isRegex: false, isEqual: true }],
          startsAt: new Date().toISOString(),
          endsAt: until.toISOString(),
          createdBy,
          comment,
        }),
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok)
        throw new Error(`Alertmanager ${baseUrl}: creating a silence answered HTTP ${response.status}`);
      return ((await response.json()) as { silenceID: string }).silenceID;
    },
    async expire(id) {
      const response = await fetch(url(`api/v2/silence/${encodeURIComponent(id)}`), {
        method: "DELETE",
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!response.ok && response.status !== 404)
        throw new Error(`Alertmanager ${baseUrl}: expiring silence ${id} answered HTTP ${response.status}`);
    },
  };
}
