/**
 * "What is allowed" for each kind of option, in the words used both by validation errors and by
 * config.yaml's descriptions, so the two always say the same thing.
 */
import { MIN_WORKERS, type AnyOption, type NumericRange } from './option-kinds.ts';

function describeRange(noun: string, [min, max]: NumericRange): string {
  if (min !== undefined && max !== undefined) return `${noun} from ${min} to ${max}`;
  if (min !== undefined) return `${noun} of ${min} or more`;
  if (max !== undefined) return `${noun} of ${max} or less`;
  return noun;
}

/** Quote and list choices: `"a", "b" or "c"`. */
export function listChoices(values: readonly string[]): string {
  const quoted = values.map((value) => JSON.stringify(value));
  if (quoted.length <= 1) return quoted.join('');
  return `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
}

export function describeAllowed(option: AnyOption): string {
  switch (option.kind) {
    case 'flag':
      return 'true or false';
    case 'int':
      return describeRange('an integer', option.range);
    case 'float':
      return describeRange('a number', option.range);
    case 'choice':
      return option.values.length > 2 ? `one of ${listChoices(option.values)}` : listChoices(option.values);
    case 'text':
      return 'a string';
    case 'workers':
      return `"auto" or an integer of ${MIN_WORKERS} or more`;
    case 'sync-node-count':
      return '"all", "majority" or a positive integer';
  }
}
