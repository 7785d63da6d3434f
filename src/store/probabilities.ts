/** The store derives probabilities with the same math as the engine, so exports equal live answers. */
export { klDivergence, logSumExp, softmaxT as softmaxAt } from '../core/soft-labels.ts';
