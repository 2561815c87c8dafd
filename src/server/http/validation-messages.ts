import type { FieldError } from './http-error.js';

/** The parts of a zod issue we read (fastify-type-provider-zod hands them over as `params`). */
interface Issue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  values?: readonly unknown[];
  errors?: readonly (readonly Issue[])[];
}

/** `input_data.input_string[0].role`: the field as the caller wrote it. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out === '' ? '(body)' : out;
}

/** How far into the value an issue reached, counting the branches of nested unions. */
const issueDepth = (issue: Issue): number =>
  issue.path.length + (issue.errors ? Math.max(0, ...issue.errors.map(depth)) : 0);
const depth = (issues: readonly Issue[]): number => Math.max(0, ...issues.map(issueDepth));

/**
 * A union failed in every branch: report the branch that got furthest into the value (the form the caller
 * meant), the first one on ties.
 */
function closestBranch(branches: readonly (readonly Issue[])[]): readonly Issue[] {
  let best = branches[0] ?? [];
  for (const branch of branches) if (depth(branch) > depth(best)) best = branch;
  return best;
}

function bound(issue: Issue, below: boolean): string {
  const limit = String(below ? issue.minimum : issue.maximum);
  if (issue.origin === 'array') return `must have ${below ? 'at least' : 'at most'} ${limit} item(s)`;
  if (issue.origin === 'string') return `must have ${below ? 'at least' : 'at most'} ${limit} character(s)`;
  const op = below ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
  return `must be ${op} ${limit}`;
}

function reason(issue: Issue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.message.endsWith('received undefined')) return 'is required';
      return issue.message.replace(/^Invalid input: /, '').replace('expected int', 'expected an integer');
    case 'too_small':
      return bound(issue, true);
    case 'too_big':
      return bound(issue, false);
    case 'invalid_value':
      return `must be ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(' or ')}`;
    default:
      return issue.message;
  }
}

/** Zod issues → one message per offending field, unions resolved to the branch the caller meant. */
export function fieldErrors(issues: readonly Issue[], prefix: readonly PropertyKey[] = []): FieldError[] {
  return issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path];
    if (issue.code === 'invalid_union' && issue.errors && issue.errors.length > 0) {
      return fieldErrors(closestBranch(issue.errors), path);
    }
    return [{ field: fieldPath(path), message: reason(issue) }];
  });
}
