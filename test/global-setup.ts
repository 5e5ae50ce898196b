import { startRunMemo } from './support/synthesis-memo';

export default startRunMemo;
