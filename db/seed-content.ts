import type { Question } from './schema';

/** Demo exam content, in the voice of a real public recruitment exam. */
export const WRITTEN_NOTICE = `考生须知
1. 请在入场时间内进入考试，开考后系统自动显示试题。
2. 考试全程开启摄像头、麦克风并共享整个屏幕；只允许使用一台显示器。
3. 答案自动保存。网络中断时请保持页面打开，恢复后会自动上传。
4. 考试期间不得离开座位、不得使用手机（手机仅用于佐证视频）、不得与他人交流。
5. 遇到问题请点击“求助”或拨打 400 热线。`;

export const INTERVIEW_NOTICE = `面试须知
1. 入场前请先抽签，签号用于后续安排，无需等待叫号。
2. 进入后请确认摄像头和麦克风，进入候考后倒计时结束，题目自动出现。
3. 作答时请面向摄像头，语速适中，全程不得离开画面。
4. 作答结束请点击“结束考试”。`;

export const ATTACHMENT_TEXT = `远程考试考场规则（演示附件）

一、考试环境：独立、安静、光线充足的房间，桌面只保留考试所需物品。
二、设备：电脑一台（单显示器）、手机一部（佐证视频，置于侧后方约 1 米、45 度）。
三、违规处理：离开画面、他人协助、使用未经允许的资料，均按考试纪律处理。
`;

export const WRITTEN_SHEETS: { title: string; body: string; questions: Question[] }[] = [
  {
    title: '第一部分 常识判断',
    body: '请选择最符合题意的答案。',
    questions: [
      {
        id: 'q1',
        kind: 'single',
        prompt: '下列哪一项是我国的最高国家权力机关？',
        options: ['国务院', '全国人民代表大会', '最高人民法院', '中央军事委员会'],
        answer: '全国人民代表大会',
        points: 5,
      },
      {
        id: 'q2',
        kind: 'multiple',
        prompt: '下列属于可再生能源的有（多选）：',
        options: ['太阳能', '风能', '煤炭', '水能'],
        answer: ['太阳能', '风能', '水能'],
        points: 5,
      },
      { id: 'q3', kind: 'single', prompt: '“一带一路”倡议提出于哪一年？', options: ['2011 年', '2013 年', '2015 年', '2017 年'], answer: '2013 年', points: 5 },
    ],
  },
  {
    title: '第二部分 申论',
    body: '请结合材料，按要求作答。',
    questions: [
      { id: 'q4', kind: 'text', prompt: '结合你的经历，谈谈基层治理中“数字化”带来的变化与挑战（300 字以内）。', points: 40 },
      { id: 'q5', kind: 'text', prompt: '请为社区老年人使用智能手机就医写一份简短的宣传提纲。', points: 45 },
    ],
  },
];

export const INTERVIEW_SHEETS: { title: string; body: string }[] = [
  {
    title: '题本一',
    body: '某街道计划在辖区内推广“一站式”政务服务，但部分老年居民表示不会使用自助终端。假如你是街道工作人员，你会如何推进这项工作？（思考 3 分钟，作答 5 分钟）',
  },
  {
    title: '题本二',
    body: '有人说“年轻干部要多到基层去”。请谈谈你的看法。',
  },
];
