// The sample companies' subject tags (docs/store.md, subject_tags): one industry each and zero
// to five concepts, drawn from a per-company stream of their own, so tags depend only on the seed
// and the company's index and never change its reports.
import type { Company } from './company';
import { deriveSeed, Rng } from './random';

export const INDUSTRIES = [
  '银行', '证券', '保险', '房地产', '建筑装饰', '建筑材料', '钢铁', '有色金属', '煤炭', '石油石化',
  '基础化工', '电力设备', '公用事业', '交通运输', '汽车', '家用电器', '食品饮料', '白酒', '纺织服饰', '轻工制造',
  '医药生物', '商贸零售', '社会服务', '农林牧渔', '电子', '半导体', '计算机', '通信', '传媒', '国防军工',
] as const;

export const CONCEPTS = [
  '互联网金融', '新能源汽车', '人工智能', '芯片', '5G', '云计算', '大数据', '区块链', '物联网', '工业互联网',
  '数字经济', '信创', '网络安全', '光伏', '风电', '储能', '锂电池', '氢能源', '充电桩', '特高压',
  '碳中和', '节能环保', '新材料', '稀土永磁', '创新药', '医疗器械', '中药', '疫苗', 'CXO', '医美',
  '养老', '预制菜', '乳业', '白马股', '消费电子', '智能家居', '虚拟现实', '元宇宙', '机器人', '无人驾驶',
  '低空经济', '商业航天', '卫星导航', '军民融合', '国企改革', '一带一路', '跨境电商', '数字货币', '移动支付', '金融科技',
  '在线教育', '网络游戏', '短视频', '电子竞技', '东数西算', '算力', '国产软件', '半导体设备', 'MSCI中国', '沪股通',
] as const;

/** Industry, concept: the kinds gen-data writes. */
export const TAG_KINDS = ['industry', 'concept'] as const;

const STREAM_TAGS = 3;
/** Concepts per company: 0..5, fewer more often (weights of 0, 1, ..., 5). */
const CONCEPT_COUNT_WEIGHTS = [15, 25, 25, 18, 10, 7];

export interface CompanyTag {
  readonly kind: (typeof TAG_KINDS)[number];
  readonly value: string;
}

/** The tags of the company at `index` for `seed`: its industry first, then its concepts. */
export function companyTags(seed: number, index: number): CompanyTag[] {
  const rng = new Rng(deriveSeed(seed, index, STREAM_TAGS));
  const tags: CompanyTag[] = [{ kind: 'industry', value: INDUSTRIES[rng.int(0, INDUSTRIES.length - 1)] }];
  let pick = rng.next() * CONCEPT_COUNT_WEIGHTS.reduce((a, b) => a + b, 0);
  let count = 0;
  while (pick >= CONCEPT_COUNT_WEIGHTS[count]) pick -= CONCEPT_COUNT_WEIGHTS[count++];
  const chosen = new Set<string>();
  while (chosen.size < count) chosen.add(CONCEPTS[rng.int(0, CONCEPTS.length - 1)]);
  for (const value of chosen) tags.push({ kind: 'concept', value });
  return tags;
}

/** Rows of the subject_tags table for `companies` (index i is company i of the seed). */
export function* tagRows(companies: readonly Company[], seed: number): Generator<[string, string, string]> {
  for (let i = 0; i < companies.length; i++) {
    for (const t of companyTags(seed, i)) yield [companies[i].subjectKey, t.kind, t.value];
  }
}
