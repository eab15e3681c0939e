/**
 * One shared object per distinct value (by `keyOf`, its JSON unless given), up to `limit` of them: a few
 * schedules, client versions and settings serve 100,000 hosts, where each host holding its own copy (a
 * reader thread's message is a copy) costs tens of MB.
 */
export class SharedValues<T> {
  readonly #values = new Map<string, T>();
  constructor(
    private readonly limit: number,
    private readonly keyOf: (value: T) => string = JSON.stringify,
  ) {}

  share(value: T): T {
    const key = this.keyOf(value);
    const known = this.#values.get(key);
    if (known) return known;
    if (this.#values.size < this.limit) this.#values.set(key, value);
    return value;
  }
}
