import { describe, expect, it } from 'vitest';
import { databaseNameProblem, invalidDatabaseNameMessage } from '../../../src/relations/database-name.ts';

describe('databaseNameProblem', () => {
  it.each(['mattermost', 'db_with_extensions', '_private', 'app-1', 'a'.repeat(63), 'postgres2', 'template'])('accepts %j', (name) => {
    expect(databaseNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['', 'it is empty'],
    ['a'.repeat(64), 'it is longer than 63 bytes'],
    ['é'.repeat(32), 'it is longer than 63 bytes'], // 64 bytes in UTF-8
    ['postgres', 'it is reserved'],
    ['template0', 'it is reserved'],
    ['template1', 'it is reserved'],
    ['my db', 'it contains whitespace'],
    ['line\nbreak', 'it contains whitespace'],
    ['a"b', 'it contains quotes or backslashes'],
    ["a'b", 'it contains quotes or backslashes'],
    ['a\\b', 'it contains quotes or backslashes'],
    ['Upper', 'it contains uppercase letters'],
    ['1st', 'it must start with a letter or _'],
    ['-x', 'it must start with a letter or _'],
    ['a.b', 'it may contain only a-z, 0-9, _ and -'],
    ['a;b', 'it may contain only a-z, 0-9, _ and -'],
    ['café', 'it may contain only a-z, 0-9, _ and -'],
  ])('refuses %j: %s', (name, problem) => {
    expect(databaseNameProblem(name)).toBe(problem);
  });
});

describe('invalidDatabaseNameMessage', () => {
  it('names the relation, shows the name quoted and says why', () => {
    expect(invalidDatabaseNameMessage({ endpoint: 'db', id: 5 }, 'Foo', 'it contains uppercase letters')).toBe(
      'invalid database name "Foo" on db:5: it contains uppercase letters; ask the client for another name',
    );
  });

  it('shortens a long name and escapes control characters', () => {
    const message = invalidDatabaseNameMessage({ endpoint: 'database', id: 1 }, `${'x'.repeat(100)}`, 'it is longer than 63 bytes');
    expect(message).toBe(`invalid database name "${'x'.repeat(24)}…" on database:1: it is longer than 63 bytes; ask the client for another name`);
    expect(invalidDatabaseNameMessage({ endpoint: 'db', id: 1 }, 'a\nb', 'p')).toBe('invalid database name "a\\nb" on db:1: p; ask the client for another name');
  });
});
