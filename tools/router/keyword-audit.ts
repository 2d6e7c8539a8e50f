/**
 * The keyword audit the issue ran on the old router: for every cue word of router-features.ts, how many training
 * and evaluation prompts it matches. A word that matches evaluation prompts and no training prompt was not learned
 * from data and may have been written for those prompts.
 *
 *   npx tsx tools/router/keyword-audit.ts
 */
import { CUE_ALTERNATIVES, cueRegex } from '../../src/escalation/router-features.ts';
import { TRAINING_SET } from './dataset.ts';
import { EVAL_SET } from './evaluation.ts';

export interface CueAudit {
  word: string;
  training: number;
  evaluation: number;
}

export function auditCues(): CueAudit[] {
  const out: CueAudit[] = [];
  const words = new Set([...CUE_ALTERNATIVES.values()].flat());
  for (const word of words) {
    const re = cueRegex(word);
    out.push({
      word,
      training: TRAINING_SET.filter((i) => re.test(i.prompt)).length,
      evaluation: EVAL_SET.filter((i) => re.test(i.prompt)).length,
    });
  }
  return out;
}

if (process.argv[1]?.endsWith('keyword-audit.ts')) {
  const all = auditCues();
  const evalOnly = all.filter((a) => a.evaluation > 0 && a.training === 0);
  const onlyOne = all.filter((a) => a.evaluation === 1 && a.training === 0);
  console.log(`${all.length} cue words; ${all.filter((a) => a.training > 0).length} match a training prompt`);
  console.log(
    `${evalOnly.length} match evaluation prompts and no training prompt: ${evalOnly.map((a) => `${a.word} (${a.evaluation})`).join(', ')}`,
  );
  console.log(`${onlyOne.length} of them match exactly one evaluation prompt`);
}
