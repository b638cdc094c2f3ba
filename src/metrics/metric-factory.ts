import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Defines metrics on one registry (never the global one implicitly), so that each definition
 * reads as its name, help and labels.
 */
export class MetricFactory {
  private readonly registers: Registry[];

  constructor(readonly registry: Registry) {
    this.registers = [registry];
  }

  counter<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
  ): Counter<L> {
    return new Counter({ name, help, labelNames, registers: this.registers });
  }

  /** `collect`, when given, sets the gauge at scrape time (point-in-time values, no timer). */
  gauge<L extends string = string>(
    name: string,
    help: string,
    labelNames: readonly L[] = [],
    collect?: (gauge: Gauge<L>) => void | Promise<void>,
  ): Gauge<L> {
    return new Gauge({
      name,
      help,
      labelNames,
      registers: this.registers,
      ...(collect && {
        collect(this: Gauge<L>) {
          return collect(this);
        },
      }),
    });
  }

  histogram<L extends string = string>(
    name: string,
    help: string,
    buckets: number[],
    labelNames: readonly L[] = [],
  ): Histogram<L> {
    return new Histogram({ name, help, labelNames, buckets, registers: this.registers });
  }
}
