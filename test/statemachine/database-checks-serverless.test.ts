import { SERVERLESS_ENGINE } from '../support/engines';
import { databaseCheckPaths } from './database-check-paths';

databaseCheckPaths(SERVERLESS_ENGINE);
