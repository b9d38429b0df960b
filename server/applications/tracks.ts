// Eligibility criteria per track, answered by the applicant as a self-assessment and checked by HR
// at screening. The wording follows the decrees named in DESIGN.md §3; labels are shown as written
// here (vi/en) so a criterion and its label can never drift apart between the form and the case page.
import type { Track } from '../../models/constants.ts';

export interface Criterion {
  key: string;
  label: { vi: string; en: string };
}

export const TRACK_CRITERIA: Record<Track, readonly Criterion[]> = {
  expert: [
    {
      key: 'overseas_or_foreign',
      label: { vi: 'Là người Việt Nam ở nước ngoài hoặc người nước ngoài', en: 'Overseas Vietnamese or foreign national' },
    },
    {
      key: 'expertise_area',
      label: {
        vi: 'Là chuyên gia trong lĩnh vực khoa học, công nghệ, đổi mới sáng tạo hoặc chuyển đổi số',
        en: 'Expert in science, technology, innovation or digital transformation',
      },
    },
    {
      key: 'degree_or_experience',
      label: { vi: 'Có bằng tiến sĩ hoặc ít nhất 5 năm kinh nghiệm chuyên môn phù hợp', en: 'PhD, or at least 5 years of relevant professional experience' },
    },
    {
      key: 'recognised_results',
      label: {
        vi: 'Có công trình, sáng chế hoặc sản phẩm được quốc tế công nhận',
        en: 'Internationally recognised publications, patents or products',
      },
    },
  ],
  chief_engineer: [
    {
      key: 'led_large_project',
      label: { vi: 'Đã chủ trì dự án công nghệ hoặc kỹ thuật quy mô lớn', en: 'Has led a large technology or engineering project' },
    },
    {
      key: 'years_experience',
      label: { vi: 'Ít nhất 10 năm kinh nghiệm trong lĩnh vực', en: 'At least 10 years of experience in the field' },
    },
    {
      key: 'team_leadership',
      label: { vi: 'Có năng lực tổ chức, dẫn dắt nhóm kỹ sư', en: 'Able to organise and lead a team of engineers' },
    },
    {
      key: 'strategic_field',
      label: { vi: 'Chuyên môn thuộc lĩnh vực công nghệ chiến lược', en: 'Expertise in a strategic technology field' },
    },
  ],
  chief_architect: [
    {
      key: 'system_design',
      label: { vi: 'Đã thiết kế kiến trúc tổng thể của hệ thống hoặc chương trình lớn', en: 'Has designed the overall architecture of a large system or programme' },
    },
    {
      key: 'years_experience',
      label: { vi: 'Ít nhất 10 năm kinh nghiệm trong lĩnh vực', en: 'At least 10 years of experience in the field' },
    },
    {
      key: 'national_programme',
      label: { vi: 'Sẵn sàng dẫn dắt một chương trình, nhiệm vụ quốc gia', en: 'Ready to lead a national programme or mission' },
    },
    {
      key: 'recognised_results',
      label: { vi: 'Có kết quả được công nhận trong nước hoặc quốc tế', en: 'Results recognised nationally or internationally' },
    },
  ],
  researcher: [
    {
      key: 'doctoral_degree',
      label: { vi: 'Có bằng tiến sĩ hoặc tương đương', en: 'Holds a doctorate or equivalent' },
    },
    {
      key: 'publications',
      label: { vi: 'Có công bố khoa học trong 5 năm gần đây', en: 'Has scientific publications in the last 5 years' },
    },
    {
      key: 'research_plan',
      label: { vi: 'Có kế hoạch nghiên cứu phù hợp với định hướng của viện', en: 'Has a research plan that fits the institute\'s direction' },
    },
  ],
};

export function criteriaFor(track: string): readonly Criterion[] {
  return (TRACK_CRITERIA as Record<string, readonly Criterion[] | undefined>)[track] ?? [];
}
