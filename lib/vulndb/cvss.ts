import { Cvss2, Cvss3P0, Cvss3P1 } from 'ae-cvss-calculator';

export type CvssV3Severity = 'NONE' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL';
export type CvssV2Severity = 'LOW' | 'MEDIUM' | 'HIGH';

/** StackRox's StorageCVSSV3, scored from a vector. */
export interface CvssV3 {
  vector: string;
  exploitabilityScore: number;
  impactScore: number;
  attackVector: 'ATTACK_LOCAL' | 'ATTACK_ADJACENT' | 'ATTACK_NETWORK' | 'ATTACK_PHYSICAL';
  attackComplexity: 'COMPLEXITY_LOW' | 'COMPLEXITY_HIGH';
  privilegesRequired: 'PRIVILEGE_NONE' | 'PRIVILEGE_LOW' | 'PRIVILEGE_HIGH';
  userInteraction: 'UI_NONE' | 'UI_REQUIRED';
  scope: 'UNCHANGED' | 'CHANGED';
  confidentiality: 'IMPACT_NONE' | 'IMPACT_LOW' | 'IMPACT_HIGH';
  integrity: 'IMPACT_NONE' | 'IMPACT_LOW' | 'IMPACT_HIGH';
  availability: 'IMPACT_NONE' | 'IMPACT_LOW' | 'IMPACT_HIGH';
  score: number;
  severity: CvssV3Severity;
}

/** StackRox's StorageCVSSV2, scored from a vector. */
export interface CvssV2 {
  vector: string;
  attackVector: 'ATTACK_LOCAL' | 'ATTACK_ADJACENT' | 'ATTACK_NETWORK';
  accessComplexity: 'ACCESS_HIGH' | 'ACCESS_MEDIUM' | 'ACCESS_LOW';
  authentication: 'AUTH_MULTIPLE' | 'AUTH_SINGLE' | 'AUTH_NONE';
  confidentiality: 'IMPACT_NONE' | 'IMPACT_PARTIAL' | 'IMPACT_COMPLETE';
  integrity: 'IMPACT_NONE' | 'IMPACT_PARTIAL' | 'IMPACT_COMPLETE';
  availability: 'IMPACT_NONE' | 'IMPACT_PARTIAL' | 'IMPACT_COMPLETE';
  exploitabilityScore: number;
  impactScore: number;
  score: number;
  severity: CvssV2Severity;
}

const V3_BASE = /^CVSS:3\.([01])\/(.+)$/;
const V3_METRICS: Record<string, RegExp> = { AV: /^[NALP]$/, AC: /^[LH]$/, PR: /^[NLH]$/, UI: /^[NR]$/, S: /^[UC]$/, C: /^[NLH]$/, I: /^[NLH]$/, A: /^[NLH]$/ };
const V2_METRICS: Record<string, RegExp> = { AV: /^[LAN]$/, AC: /^[HML]$/, Au: /^[MSN]$/, C: /^[NPC]$/, I: /^[NPC]$/, A: /^[NPC]$/ };

/** Splits `K:V/K:V` into a map, or undefined when a part is malformed or a key repeats. */
function metrics(parts: string): Map<string, string> | undefined {
  const map = new Map<string, string>();
  for (const part of parts.split('/')) {
    const [key, value, extra] = part.split(':');
    if (!key || value === undefined || extra !== undefined || map.has(key)) return undefined;
    map.set(key, value);
  }
  return map;
}

function hasBase(map: Map<string, string>, required: Record<string, RegExp>): boolean {
  return Object.entries(required).every(([key, pattern]) => pattern.test(map.get(key) ?? ''));
}

export function v3Severity(score: number): CvssV3Severity {
  if (score === 0) return 'NONE';
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  if (score < 9) return 'HIGH';
  return 'CRITICAL';
}

export function v2Severity(score: number): CvssV2Severity {
  if (score < 4) return 'LOW';
  if (score < 7) return 'MEDIUM';
  return 'HIGH';
}

const V3_IMPACT = { N: 'IMPACT_NONE', L: 'IMPACT_LOW', H: 'IMPACT_HIGH' } as const;
const V2_IMPACT = { N: 'IMPACT_NONE', P: 'IMPACT_PARTIAL', C: 'IMPACT_COMPLETE' } as const;

/** Scores a CVSS 3.0 or 3.1 vector; undefined when the vector is not a complete, valid base vector. */
export function parseCvssV3(vector: string): CvssV3 | undefined {
  const match = V3_BASE.exec(vector.trim());
  if (!match) return undefined;
  const map = metrics(match[2]);
  if (!map || !hasBase(map, V3_METRICS)) return undefined;
  const scores = (match[1] === '1' ? new Cvss3P1(vector.trim()) : new Cvss3P0(vector.trim())).calculateScores();
  if (scores.base === undefined) return undefined;
  const m = (key: string) => map.get(key)!;
  return {
    vector: vector.trim(),
    exploitabilityScore: scores.exploitability ?? 0,
    impactScore: scores.impact ?? 0,
    attackVector: ({ N: 'ATTACK_NETWORK', A: 'ATTACK_ADJACENT', L: 'ATTACK_LOCAL', P: 'ATTACK_PHYSICAL' } as const)[m('AV') as 'N'],
    attackComplexity: m('AC') === 'L' ? 'COMPLEXITY_LOW' : 'COMPLEXITY_HIGH',
    privilegesRequired: ({ N: 'PRIVILEGE_NONE', L: 'PRIVILEGE_LOW', H: 'PRIVILEGE_HIGH' } as const)[m('PR') as 'N'],
    userInteraction: m('UI') === 'N' ? 'UI_NONE' : 'UI_REQUIRED',
    scope: m('S') === 'U' ? 'UNCHANGED' : 'CHANGED',
    confidentiality: V3_IMPACT[m('C') as 'N'],
    integrity: V3_IMPACT[m('I') as 'N'],
    availability: V3_IMPACT[m('A') as 'N'],
    score: scores.base,
    severity: v3Severity(scores.base),
  };
}

/** Scores a CVSS 2 vector (with or without surrounding parentheses); undefined when invalid. */
export function parseCvssV2(vector: string): CvssV2 | undefined {
  const clean = vector.trim().replace(/^\((.*)\)$/, '$1');
  const map = metrics(clean);
  if (!map || !hasBase(map, V2_METRICS)) return undefined;
  const scores = new Cvss2(clean).calculateScores();
  if (scores.base === undefined) return undefined;
  const m = (key: string) => map.get(key)!;
  return {
    vector: clean,
    attackVector: ({ L: 'ATTACK_LOCAL', A: 'ATTACK_ADJACENT', N: 'ATTACK_NETWORK' } as const)[m('AV') as 'L'],
    accessComplexity: ({ H: 'ACCESS_HIGH', M: 'ACCESS_MEDIUM', L: 'ACCESS_LOW' } as const)[m('AC') as 'H'],
    authentication: ({ M: 'AUTH_MULTIPLE', S: 'AUTH_SINGLE', N: 'AUTH_NONE' } as const)[m('Au') as 'M'],
    confidentiality: V2_IMPACT[m('C') as 'N'],
    integrity: V2_IMPACT[m('I') as 'N'],
    availability: V2_IMPACT[m('A') as 'N'],
    exploitabilityScore: scores.exploitability ?? 0,
    impactScore: scores.impact ?? 0,
    score: scores.base,
    severity: v2Severity(scores.base),
  };
}
