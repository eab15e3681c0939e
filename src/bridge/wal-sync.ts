import { closeSync, fdatasync, fstatSync, openSync, statSync } from "node:fs";

/**
 * fdatasync of a SQLite WAL file on libuv's thread pool, so the event loop goes on serving webhooks while
 * the disk syncs. A sync asked for while one runs waits for the next (the running one may have started
 * before the caller's commit), and all those waiting share it: one fsync for everything committed
 * meanwhile.
 */
export class WalSync {
  private fd: number;
  private inode: number;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(private readonly file: string) {
    this.fd = openSync(file, "r");
    this.inode = fstatSync(this.fd).ino;
  }

  /** Resolves once everything written to the WAL before the call is on disk. */
  synced(): Promise<void> {
    if (!this.running) return this.start();
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.start();
      });
    return this.queued;
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    closeSync(this.fd);
  }

  private start(): Promise<void> {
    const run: Promise<void> = new Promise<void>((resolve, reject) => {
      this.follow();
      fdatasync(this.fd, (error) => (error ? reject(error) : resolve()));
    }).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  /** SQLite keeps its WAL while a connection is open; should the file be replaced anyway, sync the new one. */
  private follow(): void {
    const { ino } = statSync(this.file);
    if (ino === this.inode) return;
    closeSync(this.fd);
    this.fd = openSync(this.file, "r");
    this.inode = fstatSync(this.fd).ino;
  }
}
