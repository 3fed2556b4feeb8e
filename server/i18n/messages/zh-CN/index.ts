/** One file per namespace, so features can add their text without touching each other. */
import app from './app.json';
import deviceCheck from './deviceCheck.json';
import errors from './errors.json';
import examRoom from './examRoom.json';
import exams from './exams.json';
import flags from './flags.json';
import grid from './grid.json';
import integrity from './integrity.json';
import interview from './interview.json';
import login from './login.json';
import messageCentre from './messageCentre.json';
import nav from './nav.json';
import examProcess from './process.json';
import profile from './profile.json';
import rooms from './rooms.json';
import support from './support.json';
import systemCheck from './systemCheck.json';
import written from './written.json';

export default { app, deviceCheck, errors, examRoom, exams, flags, grid, integrity, interview, login, messageCentre, nav, process: examProcess, profile, rooms, support, systemCheck, written };
