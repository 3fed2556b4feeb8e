/** One file per namespace, so features can add their text without touching each other. */
import admin from './admin.json';
import adminAudit from './adminAudit.json';
import adminCandidates from './adminCandidates.json';
import adminDashboard from './adminDashboard.json';
import adminExams from './adminExams.json';
import adminPhotos from './adminPhotos.json';
import adminRooms from './adminRooms.json';
import adminStaff from './adminStaff.json';
import app from './app.json';
import desk from './desk.json';
import deskLead from './deskLead.json';
import deviceCheck from './deviceCheck.json';
import errors from './errors.json';
import face from './face.json';
import faceLogin from './faceLogin.json';
import examRoom from './examRoom.json';
import exams from './exams.json';
import flags from './flags.json';
import grid from './grid.json';
import help from './help.json';
import identityCheck from './identityCheck.json';
import helpChat from './helpChat.json';
import incidents from './incidents.json';
import integrity from './integrity.json';
import interview from './interview.json';
import login from './login.json';
import messageCentre from './messageCentre.json';
import messages from './messages.json';
import nav from './nav.json';
import notices from './notices.json';
import phone from './phone.json';
import examProcess from './process.json';
import profile from './profile.json';
import recording from './recording.json';
import recordings from './recordings.json';
import rooms from './rooms.json';
import screenShare from './screenShare.json';
import support from './support.json';
import systemCheck from './systemCheck.json';
import written from './written.json';

/** The messages domain keeps its error texts beside its other texts; they are served as errors.messages.*;
 * the help desk's likewise as errors.help.*. */
const allErrors = {
  ...errors,
  messages: { ...errors.messages, ...messages.errors },
  help: help.errors,
  deskLead: deskLead.errors,
  incidents: incidents.errors,
  face: face.errors,
  phone: phone.errors,
  recordings: recordings.errors,
  // The back office: one namespace per area, each with its own errors block.
  admin: admin.errors,
  adminAudit: adminAudit.errors,
  adminCandidates: adminCandidates.errors,
  adminDashboard: adminDashboard.errors,
  adminExams: adminExams.errors,
  // A photo's problems are also the refusal of a single upload: one wording for both.
  adminPhotos: { ...adminPhotos.errors, problems: adminPhotos.problems },
  adminRooms: adminRooms.errors,
  adminStaff: adminStaff.errors,
};

export default {
  admin,
  adminAudit,
  adminCandidates,
  adminDashboard,
  adminExams,
  adminPhotos,
  adminRooms,
  adminStaff,
  app,
  desk,
  deskLead,
  deviceCheck,
  errors: allErrors,
  examRoom,
  exams,
  face,
  faceLogin,
  flags,
  grid,
  help,
  helpChat,
  identityCheck,
  incidents,
  integrity,
  interview,
  login,
  messageCentre,
  messages,
  nav,
  notices,
  phone,
  process: examProcess,
  profile,
  recording,
  recordings,
  rooms,
  screenShare,
  support,
  systemCheck,
  written,
};
