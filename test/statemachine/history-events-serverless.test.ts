import { SERVERLESS_ENGINE } from '../support/engines';
import { historyEventDesignFigure } from './history-event-figure';

historyEventDesignFigure(SERVERLESS_ENGINE);
