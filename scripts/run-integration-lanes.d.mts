export interface Lane {
  files: string[];
  seconds: number;
}
export declare function dealLanes(files: string[], laneCount: number): Lane[];
