export interface Sample {
  wallMs: number;
  cpuMs: number;
  peakRssKiB: number;
  toolProcesses: number;
  toolCalls: string[];
}

export interface Spread {
  min: number;
  median: number;
  max: number;
}

export interface Summary {
  wallMs: Spread;
  cpuMs: Spread;
  peakRssKiB: Spread;
  toolProcesses: number;
}

export function spread(values: number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { min: sorted[0]!, median, max: sorted[sorted.length - 1]! };
}

export function summarise(samples: Sample[]): Summary {
  return {
    wallMs: spread(samples.map((s) => s.wallMs)),
    cpuMs: spread(samples.map((s) => s.cpuMs)),
    peakRssKiB: spread(samples.map((s) => s.peakRssKiB)),
    toolProcesses: Math.max(...samples.map((s) => s.toolProcesses)),
  };
}
