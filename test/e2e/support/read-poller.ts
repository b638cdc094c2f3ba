import { setTimeout as sleep } from 'node:timers/promises';

/** What {@link ReadPoller} saw. */
export interface ReadPollStats {
  readonly polls: number;
  readonly counters: number;
  /** Reads of a counter lower than its previous read. */
  readonly decreases: number;
  /** Reads above what was ever sent to the counter: a partial sum counted twice. */
  readonly aboveSent: number;
  /** Polls that threw. */
  readonly errors: number;
  /** The first few problems, for the failure message. */
  readonly samples: readonly string[];
}

const MAX_SAMPLES = 10;

/**
 * Reads the same counters again and again while something changes underneath (a ring change):
 * each value must be at least the one read before (the counters only grow) and at most what was
 * sent to the counter (`sentBound`, read after the poll, so it covers everything the poll could
 * have seen). Errors are counted, not thrown: a read that fails is a finding too.
 */
export class ReadPoller {
  private polls = 0;
  private decreases = 0;
  private aboveSent = 0;
  private errors = 0;
  private readonly samples: string[] = [];
  private readonly last = new Map<string, number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly names: readonly string[],
    read: (names: readonly string[]) => Promise<ReadonlyMap<string, number>>,
    sentBound: (name: string) => number,
    pauseMs = 10,
  ) {
    this.loop = (async () => {
      while (this.running) {
        const started = performance.now();
        let values: ReadonlyMap<string, number>;
        try {
          values = await read(this.names);
        } catch (err) {
          this.errors++;
          this.sample(`poll ${this.polls}: ${String(err)}`);
          await sleep(100);
          continue;
        }
        this.polls++;
        for (const name of this.names) {
          const value = values.get(name) ?? 0;
          const before = this.last.get(name) ?? 0;
          if (value < before) {
            this.decreases++;
            this.sample(`poll ${this.polls}: ${name} read ${value} after ${before}`);
          }
          const bound = sentBound(name);
          if (value > bound) {
            this.aboveSent++;
            this.sample(`poll ${this.polls}: ${name} read ${value}, only ${bound} ever sent`);
          }
          this.last.set(name, Math.max(value, before));
        }
        const took = performance.now() - started;
        if (took < pauseMs) await sleep(pauseMs - took);
      }
    })();
  }

  /** Stops after the poll in progress. */
  async stop(): Promise<ReadPollStats> {
    this.running = false;
    await this.loop;
    return this.stats();
  }

  stats(): ReadPollStats {
    return {
      polls: this.polls,
      counters: this.names.length,
      decreases: this.decreases,
      aboveSent: this.aboveSent,
      errors: this.errors,
      samples: [...this.samples],
    };
  }

  private sample(text: string): void {
    if (this.samples.length < MAX_SAMPLES) this.samples.push(text);
  }
}
