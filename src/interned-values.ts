/**
 * One shared object per distinct value (by `keyOf`, its JSON unless given), up to `limit` of them: a few
 * schedules, client versions and settings serve 100,000 hosts, where each host holding its own copy (a
 * reader thread's message is a copy) costs tens of MB.
 */
export class SharedValues<T> {
  readonly #values = new Map<string, T>();
  /** The shared objects themselves: a reader thread shares the same client and schedule for host after host. */
  readonly #shared = new WeakSet<T & object>();
  constructor(
    private readonly limit: number,
    private readonly keyOf: (value: T) => string = JSON.stringify,
  ) {}

  share(value: T & object): T {
    if (this.#shared.has(value)) return value;
    const key = this.keyOf(value);
    const known = this.#values.get(key);
    if (known) return known;
    if (this.#values.size < this.limit) {
      this.#values.set(key, value);
      this.#shared.add(value);
    }
    return value;
  }
}
