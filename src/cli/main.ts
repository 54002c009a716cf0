#!/usr/bin/env node
import { Command } from 'commander';
import { runStart, runWorker } from './start.js';
import { runSend } from './send.js';
import { runProcessCommand, type ProcessCommandOptions } from './process.js';
import { runCalibrate } from './calibrate.js';
import { runBulkCommand, type BulkCommandOptions } from './bulk.js';
import { port, wholeNumber } from './arguments.js';
import { NodeError } from '../errors.js';

const program = new Command()
  .name('ctprep')
  .description('DICOM preprocessing node for chest CT: kernel harmonization and super-resolution')
  .showHelpAfterError();

program
  .command('start')
  .description('run the node: DICOM listener, routing, workers, delivery, REST API and console')
  .option('-c, --config <file>', 'configuration file', 'config/node.json')
  .option('--no-workers', 'receive, route and serve the API only; `ctprep worker` processes run the jobs and deliveries')
  .action(async (options: { config: string; workers: boolean }) => runStart(options));

program
  .command('worker')
  .description('run job and delivery workers only, against the PostgreSQL queue and data folder of a node started with --no-workers (any number, on any machine that shares them)')
  .option('-c, --config <file>', 'configuration file (the same databaseUrl and dataDir as the node)', 'config/node.json')
  .action(async (options: { config: string }) => runWorker(options));

program
  .command('send')
  .description('send the DICOM files of a folder to an AE by C-STORE (a small storage SCU)')
  .argument('<folder>', 'folder with DICOM files (searched recursively)')
  .requiredOption('--ae <title>', 'called AE title of the destination')
  .option('--host <host>', 'destination host', '127.0.0.1')
  .requiredOption('--port <port>', 'destination port', port)
  .option('--calling-ae <title>', 'our AE title', 'CTPREP')
  .action(async (folder: string, options: { ae: string; host: string; port: number; callingAe: string }) =>
    runSend(folder, options),
  );

program
  .command('process')
  .description('process a folder offline to a folder: same rules and steps, no network, no database')
  .argument('<input>', 'folder with DICOM files of one or more series')
  .argument('<output>', 'folder for the derived series (one sub-folder per series and rule, process-log.jsonl)')
  .option('-c, --config <file>', 'configuration file (rules file, UID root, models)', 'config/node.json')
  .option('--rule <id>', 'apply this rule to every series, whether or not it matches')
  .option('--redo', 'process series again whose derived series an earlier run finished')
  .option('--jobs <n>', 'series processed at once', wholeNumber(1, 64), 1)
  .option('--report <prefix>', 'write the report to <prefix>.csv and <prefix>.json (default: <output>/process-report)')
  .action(async (input: string, output: string, options: ProcessCommandOptions) => runProcessCommand(input, output, options));

program
  .command('calibrate')
  .description('fit the kernel transfers of the natural pairs (sharp and soft reconstructions of one acquisition) in a folder')
  .argument('<folder>', 'folder with DICOM files of two or more series (searched recursively)')
  .option('-c, --config <file>', 'configuration file (its calibrationsDir is the default output)', 'config/node.json')
  .option('--out <folder>', 'where to write the calibrations as JSON (default: calibrationsDir of the configuration)')
  .action(async (folder: string, options: { config: string; out?: string }) => runCalibrate(folder, options));

program
  .command('bulk')
  .description('query a PACS (C-FIND), move the matching series to the node (C-MOVE) and process them by the rules; a run again resumes')
  .requiredOption('--from <pacs>', 'a destination of the configuration, or AE@host:port')
  .requiredOption('--query <filters>', "Key=Value filters: StudyDate=20200101-20201231 Modality=CT ConvolutionKernel=B70f,B80f 'StudyDescription=*THORAX*' BodyPartExamined=CHEST (also PatientID, AccessionNumber, StudyInstanceUID, SeriesDescription)")
  .option('-c, --config <file>', 'configuration file (the node that receives and processes: rules, destinations, database)', 'config/node.json')
  .option('--out <folder>', 'also write each derived series to <folder>/<PatientID>/<StudyInstanceUID>/<derived SeriesInstanceUID>/')
  .option('--report <prefix>', 'write the report to <prefix>.csv and <prefix>.json (default: <out>/bulk-report with --out, else ./bulk-report)')
  .option('--concurrency <n>', 'series moved and not yet finished, at most', wholeNumber(1, 64), 2)
  .option('--timeout <seconds>', 'longest silence of the PACS during a query or a move', wholeNumber(1, 3600), 120)
  .action(async (options: BulkCommandOptions) => runBulkCommand(options));

try {
  await program.parseAsync();
} catch (error) {
  // Errors we raise on purpose carry a message meant for people; anything else shows its stack.
  console.error(error instanceof NodeError ? `ctprep: ${error.message}` : error);
  process.exitCode = 1;
}
