import { SERVERLESS_ENGINE } from '../support/engines';
import { historyEventDesignFigure } from './history-events-paths';

historyEventDesignFigure(SERVERLESS_ENGINE);
