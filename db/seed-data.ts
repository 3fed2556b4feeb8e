/** Synthetic candidates (valid ID format, belonging to no one), from the project's test data. */
export const DEMO_CANDIDATES = [
  { name: '李辉凯', idNumber: '330106199301171868', phone: '19900000000', email: 'candidate0001@example.com' },
  { name: '刘轩欣', idNumber: '110105199903202484', phone: '19900000001', email: 'candidate0002@example.com' },
  { name: '莫阳晨', idNumber: '320102200108131248', phone: '19900000002', email: 'candidate0003@example.com' },
  { name: '雷平', idNumber: '110105199702045523', phone: '19900000003', email: 'candidate0004@example.com' },
  { name: '薛芳涵', idNumber: '440305199003031189', phone: '19900000004', email: 'candidate0005@example.com' },
  { name: '魏辉玲', idNumber: '110101200212200519', phone: '19900000005', email: 'candidate0006@example.com' },
  { name: '朱鹏', idNumber: '310115200010081967', phone: '19900000006', email: 'candidate0007@example.com' },
  { name: '夏娜', idNumber: '210102200211250338', phone: '19900000007', email: 'candidate0008@example.com' },
  { name: '陈建', idNumber: '120101199611062092', phone: '19900000008', email: 'candidate0009@example.com' },
  { name: '戴刚婷', idNumber: '120101200001269235', phone: '19900000009', email: 'candidate0010@example.com' },
  { name: '江凯勇', idNumber: '330106199603185288', phone: '19900000010', email: 'candidate0011@example.com' },
  { name: '肖敏雨', idNumber: '420102200011132491', phone: '19900000011', email: 'candidate0012@example.com' },
] as const;

/** The help desk's starting canned replies (agents manage the list afterwards). */
export const DEMO_CANNED_REPLIES = [
  { title: '问候', body: '您好，我是在线客服，请问有什么可以帮您？' },
  { title: '刷新页面', body: '请按 Ctrl+F5 强制刷新页面后重试；已作答内容会自动保存，不会丢失。' },
  { title: '摄像头/麦克风', body: '请检查浏览器地址栏左侧的权限设置，允许本网站使用摄像头和麦克风，然后刷新页面重新进行设备检测。' },
  { title: '屏幕共享', body: '请在弹出的窗口中选择“整个屏幕”并点击“分享”；如未弹出，请刷新页面后重新开启屏幕共享。' },
  { title: '网络问题', body: '请尽量使用有线网络或信号稳定的 Wi-Fi，关闭其他占用带宽的程序；断线期间考试计时不会停止，请尽快重新连接。' },
  { title: '考试内容', body: '关于试题内容的疑问，请以试卷说明为准；如确有题目显示错误，我们会记录并转交考务人员处理。' },
  { title: '结束会话', body: '问题已处理，如还有其他疑问，请随时再次点击“求助”。祝您考试顺利！' },
] as const;

/** A finished help conversation, so the agent console has history to show on a fresh demo. */
export const DEMO_HELP_THREAD = {
  category: 'technical' as const,
  question: '设备检测时看不到摄像头画面，怎么办？',
  answer: '请检查浏览器地址栏左侧的权限设置，允许本网站使用摄像头和麦克风，然后刷新页面重新进行设备检测。',
  thanks: '好了，可以看到了，谢谢！',
};

/**
 * The demo's hotline (server/env.ts SUPPORT_*): `npm run dev` and `npm run demo` use it when
 * none of the four is set, and the browser tests run with it.
 */
export const DEMO_HOTLINE = {
  SUPPORT_PHONE: '400-800-1234',
  SUPPORT_HOURS: '08:00–20:00',
  SUPPORT_QQ: '800012345',
  SUPPORT_EMAIL: 'support@example.com',
} as const;
