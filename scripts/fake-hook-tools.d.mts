export declare function fakeHookEnvironment(options: {
  hook: string;
  charmDir: string;
  toolsDir: string;
  configJson: string;
  toolLog?: string;
}): Record<string, string>;
