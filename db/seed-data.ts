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
