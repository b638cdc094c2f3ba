import { CountdError } from './countd-error.js';

/**
 * Why a storage node is not the one the fleet knows under its id:
 * - `missing`: the fleet gave the node an identity and the node no longer holds it (restarted
 *   empty, disk replaced, another server behind the same address);
 * - `foreign`: the node holds the identity of another fleet or of another node id;
 * - `claimed`: the fleet's node of that id is another server (two workers configured with two
 *   servers for one id).
 */
export type NodeIdentityProblem = 'missing' | 'foreign' | 'claimed';

/** A storage node is refused: countd never writes a node that is not provably the fleet's. */
export class NodeIdentityError extends CountdError {
  readonly node: string;
  readonly problem: NodeIdentityProblem;
  readonly expected: string | undefined;
  readonly found: string | undefined;

  constructor(
    node: string,
    problem: NodeIdentityProblem,
    expected: string | undefined,
    found: string | undefined,
  ) {
    super(`storage node ${node} refused: ${describe(node, problem, found)}`);
    this.node = node;
    this.problem = problem;
    this.expected = expected;
    this.found = found;
  }
}

function describe(node: string, problem: NodeIdentityProblem, found: string | undefined): string {
  switch (problem) {
    case 'missing':
      return (
        'it joined the fleet but no longer holds its identity: it lost its data (restarted ' +
        'empty?) or another server answers at its address. If it was replaced on purpose, run ' +
        `\`countd node accept ${node}\``
      );
    case 'foreign':
      return (
        `it holds the identity "${found ?? ''}" of another fleet or node (same server and key ` +
        'prefix as another deployment?). Give each fleet its own COUNTD_PREFIX or server'
      );
    case 'claimed':
      return (
        `the fleet's node ${node} is another server: check COUNTD_NODES on every worker ` +
        `(or run \`countd node accept ${node}\` if this server replaces it)`
      );
  }
}
