export declare const TOOL_NAMES: readonly string[];
export declare function writeFakeHookTools(options: {
  toolsDir: string;
  configYaml: string;
  configJson: string;
  toolLog?: string;
}): Record<string, string>;
