/** Helpers the JS/TS rules share (loaders, "loads once" guards, argument lists) live in the code layer. */
export { assignedTarget, callArgs, callInputs, identifiersIn, loaderName, loadsOnce } from '../../code/script/loads';
