// Domain words the server sends in Chinese (tags, relations, genders) and the
// message keys that translate them for English readers.

export const CARE_TAGS = [
  { value: '空巢老人', key: 'tags.emptyNest' },
  { value: '独居', key: 'tags.livingAlone' },
  { value: '残疾', key: 'tags.disabled' },
  { value: '低保', key: 'tags.lowIncome' },
  { value: '困难群众', key: 'tags.hardship' },
  { value: '退役军人', key: 'tags.veteran' },
];

export const RELATIONS = [
  { value: '户主', key: 'relations.head' },
  { value: '配偶', key: 'relations.spouse' },
  { value: '子女', key: 'relations.child' },
  { value: '父母', key: 'relations.parent' },
  { value: '孙子女', key: 'relations.grandchild' },
  { value: '兄弟姐妹', key: 'relations.sibling' },
  { value: '其他', key: 'relations.other' },
];

export const GENDERS = [
  { value: '男', key: 'genders.male' },
  { value: '女', key: 'genders.female' },
];

export const PARTY_CATEGORIES = ['direct', 'in_service', 'mobile', 'retired'];
export const ORG_KINDS = ['department', 'resident_unit', 'property', 'owners_committee', 'social', 'merchant', 'station'];

// Territory levels, top to bottom; a node's children are of the next kind.
export const NODE_KINDS = ['district', 'street', 'community', 'grid', 'building', 'unit'];
export function childKindOf(kind) {
  const i = NODE_KINDS.indexOf(kind);
  return i >= 0 && i < NODE_KINDS.length - 1 ? NODE_KINDS[i + 1] : null;
}

const ALL_WORDS = [...CARE_TAGS, ...RELATIONS, ...GENDERS];

/** Shows a Chinese domain word in the current language (unknown words pass through). */
export function word(t, value) {
  const hit = ALL_WORDS.find((w) => w.value === value);
  return hit ? t(hit.key) : value;
}

/** "resident.reveal" → its label; unknown actions show their code. */
export function actionLabel(t, te, action) {
  const key = `audit.actions.${String(action).replace(/[^a-z0-9]+/gi, '_')}`;
  return te(key) ? t(key) : action;
}

/** A message under prefix.code when one exists, else the server's own name. */
export function codeLabel(t, te, prefix, code, fallback) {
  const key = `${prefix}.${code}`;
  return code && te(key) ? t(key) : fallback || code || '';
}
