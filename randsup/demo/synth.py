"""Songjiang-scale demo data: a made-up but coherent 一单两库 for 上海市松江区, a plan spec, holidays.

Design notes: docs/demo.md (section randsup/demo/synth.py).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import chinese_calendar
import numpy as np

from ..errors import InputError, OutputError, Problem
from ..inputs.save import write_directory_files
from ..inputs.uscc import ALPHABET
from ..io import atomic_directory, write_atomic
from ..model import (
    CHECK_METHODS,
    TAG_ABNORMAL,
    TAG_DESK_CHECK,
    Categorical,
    CheckItem,
    Conflict,
    Department,
    Directory,
    EntityTable,
    HistoryVisit,
    Inspector,
    JointItem,
    SupervisionItem,
    Unavailability,
)

__all__ = ["N_CHECK_ITEMS", "N_DEPARTMENTS", "N_JOINT_ITEMS", "N_SUPERVISION_ITEMS", "generate_directory",
           "holidays_2027_toml", "minimum_inspectors", "write_demo_data"]

N_DEPARTMENTS = 29
N_SUPERVISION_ITEMS = 705
N_CHECK_ITEMS = 1369
N_JOINT_ITEMS = 142  # as the Shanghai joint list (1st ed.): 142 抽查事项
DIVISION = "310117"  # 上海市松江区
QUARTER_START, QUARTER_END = dt.date(2027, 1, 1), dt.date(2027, 3, 31)
MIN_PER_FIELD = 3  # valid, non-expert inspectors per department and 执法领域: a team of 2 plus one for 回避
MIN_ENTITIES = 200

# ---------------------------------------------------------------------------------------
# Departments: (id, name, weight of its share of the 705 items, check items per item,
# 执法领域 with the keywords that put a theme into it, themes written here).
# A theme is (检查类别, 检查对象, 检查依据, 重点?, 检查方式). The laws named are real; article
# numbers not copied from a real list row are illustrative, as is the pairing with 松江.

Theme = tuple[str, str, str, bool, str]
FieldRule = tuple[str, tuple[str, ...]]


@dataclass(frozen=True)
class _Dept:
    department_id: str
    name: str
    weight: float
    per_item: float
    fields: tuple[FieldRule, ...]
    themes: tuple[Theme, ...]


_M = "现场检查、书面检查"
DEPARTMENTS: tuple[_Dept, ...] = (
    _Dept("SJ01", "松江区市场监督管理局", 160, 2.35, (
        ("食品安全", ("食品", "餐饮", "食堂", "食用农产品")),
        ("特种设备", ("特种设备", "电梯", "锅炉")),
        ("药品医疗器械", ("药品", "医疗器械", "化妆品")),
        ("产品质量", ("产品质量", "计量", "检验", "认证", "装备", "产品")),
        ("市场秩序", ()),  # 登记、公示、价格、广告、商标、网络交易: the 综合 field of 市场监管所
    ), (
        ("药品经营监督检查", "药品零售企业", "《中华人民共和国药品管理法》第九十九条 《药品经营和使用质量监督管理办法》第五十九条",
         True, "现场检查、书面检查"),
        ("医疗器械经营监督检查", "医疗器械经营企业", "《医疗器械监督管理条例》第七十条 《医疗器械经营监督管理办法》第四十九条",
         True, "现场检查、书面检查"),
        ("化妆品经营监督检查", "化妆品经营者", "《化妆品监督管理条例》第四十六条", False, "现场检查、网络检查"),
        ("网络交易监督检查", "网络交易经营者", "《中华人民共和国电子商务法》第十五条 《网络交易监督管理办法》第三十五条",
         False, "书面检查、网络检查"),
        ("合同行为检查", "企业、个体工商户", "《合同行政监督管理办法》第十九条", False, "书面检查"),
        ("特种设备使用单位监督检查", "电梯使用管理单位", "《中华人民共和国特种设备安全法》第五十七条 《特种设备安全监察条例》第五十条",
         True, "现场检查、书面检查"),
    )),
    _Dept("SJ02", "松江区卫生健康委员会", 52, 2.0, (
        ("公共卫生", ("公共场所", "宾馆", "学校卫生", "饮用水", "消毒", "沐浴", "美容", "餐具")),
        ("医疗卫生", ("医疗", "诊所", "放射")),
        ("职业卫生", ("职业病", "职业卫生")),
    ), (
        ("医疗机构执业监督检查", "医疗机构、门诊部、诊所", "《医疗机构管理条例》第四十条 《医疗机构管理条例实施细则》第六十八条",
         True, _M),
        ("公共场所卫生监督检查", "美容美发、沐浴等公共场所", "《公共场所卫生管理条例》第十条 《公共场所卫生管理条例实施细则》第三十六条",
         False, _M),
        ("生活饮用水卫生监督检查", "二次供水单位", "《生活饮用水卫生监督管理办法》第十六条", False, "现场检查、抽样检测"),
        ("职业卫生监督检查", "存在职业病危害的用人单位", "《中华人民共和国职业病防治法》第六十二条", True, _M),
        ("消毒产品监督检查", "消毒产品生产企业", "《消毒管理办法》第三十五条", False, _M),
        ("放射诊疗监督检查", "开展放射诊疗的医疗机构", "《放射诊疗管理规定》第三十六条", True, _M),
    )),
    _Dept("SJ03", "松江区教育局", 24, 1.7, (
        ("教育管理", ("学校", "幼儿园", "招生", "办学", "装备")),
        ("校外培训", ("培训",)),
    ), (
        ("民办学校办学行为检查", "民办学校", "《中华人民共和国民办教育促进法》第四十一条", False, _M),
        ("校外培训监督检查", "校外培训机构", "《校外培训行政处罚暂行办法》第四条", False, "现场检查、书面检查、网络检查"),
        ("幼儿园办园行为检查", "民办幼儿园", "《幼儿园管理条例》第二十五条", False, _M),
    )),
    _Dept("SJ04", "上海市公安局松江分局", 34, 1.9, (
        ("危险物品管理", ("烟花", "爆破", "爆炸", "易制毒", "危险")),
        ("治安管理", ()),
    ), (
        ("公章刻制业监督检查", "公章刻制企业", "《印铸刻字业暂行管理规则》第五条 《国务院对确需保留的行政审批项目设定行政许可的决定》第三十七项",
         False, _M),
        ("典当业治安检查", "典当行", "《典当管理办法》第五十二条", False, _M),
        ("废旧金属收购业检查", "废旧金属收购企业", "《废旧金属收购业治安管理办法》第十三条", False, "现场检查"),
        ("机动车修理业治安检查", "机动车修理企业", "《机动车修理业、报废机动车回收业治安管理办法》第十一条", False, "现场检查"),
    )),
    _Dept("SJ05", "松江区生态环境局", 40, 1.9, (
        ("固体废物管理", ("固体废物", "危险废物")),
        ("辐射安全", ("辐射", "放射性")),
        ("污染防治", ()),
    ), (
        ("排污许可监督检查", "排污单位", "《排污许可管理条例》第二十八条", True, "现场检查、书面检查"),
        ("危险废物规范化管理检查", "危险废物产生单位", "《中华人民共和国固体废物污染环境防治法》第七十七条、第七十八条",
         True, _M),
        ("建设项目环境影响评价检查", "建设单位", "《中华人民共和国环境影响评价法》第二十五条 《建设项目环境保护管理条例》第十九条",
         False, "现场检查、书面检查"),
        ("机动车排放检验监督检查", "机动车排放检验机构", "《中华人民共和国大气污染防治法》第五十四条", False, "现场检查、网络检查"),
        ("辐射安全监督检查", "核技术利用单位", "《放射性同位素与射线装置安全和防护条例》第四十二条", True, "现场检查"),
    )),
    _Dept("SJ06", "松江区建设和管理委员会", 38, 1.8, (
        ("燃气管理", ("燃气",)),
        ("建设工程管理", ()),
    ), (
        ("建设工程施工安全检查", "建筑施工企业", "《建设工程安全生产管理条例》第四十条", True, "现场检查"),
        ("建设工程质量检查", "房屋建筑和市政工程参建单位", "《建设工程质量管理条例》第四十七条", True, "现场检查、书面检查"),
        ("预拌混凝土质量检查", "预拌混凝土生产企业", "《建设工程质量管理条例》第四十七条 《上海市建设工程质量和安全管理条例》第六条",
         False, "现场检查、抽样检测"),
    )),
    _Dept("SJ07", "松江区交通委员会", 30, 1.9, (
        ("路政管理", ("路政", "公路", "涉路")),
        ("道路运输", ()),
    ), (
        ("机动车维修经营检查", "机动车维修经营者", "《中华人民共和国道路运输条例》第六十二条 《机动车维修管理规定》第四十六条",
         False, _M),
        ("机动车驾驶员培训检查", "机动车驾驶员培训机构", "《机动车驾驶员培训管理规定》第四十二条", False, _M),
        ("网络预约出租汽车经营检查", "网约车平台公司", "《网络预约出租汽车经营服务管理暂行办法》第三十四条", False, "书面检查、网络检查"),
    )),
    _Dept("SJ08", "松江区商务委员会", 20, 1.8, (
        ("商贸流通", ()),
    ), (
        ("二手车交易市场检查", "二手车交易市场经营者", "《二手车流通管理办法》第三十二条", False, _M),
        ("报废机动车回收检查", "报废机动车回收拆解企业", "《报废机动车回收管理办法》第十九条", False, "现场检查"),
        ("再生资源回收检查", "再生资源回收经营者", "《再生资源回收管理办法》第二十条", False, "现场检查"),
    )),
    _Dept("SJ09", "松江区文化和旅游局", 30, 2.0, (
        ("旅游市场", ("旅行社", "旅游", "景区")),
        ("文化市场", ()),
    ), (
        ("营业性演出检查", "演出经纪机构、演出场所经营单位", "《营业性演出管理条例》第三十三条", False, "现场检查"),
        ("印刷企业检查", "包装装潢、其他印刷品印刷企业", "《印刷业管理条例》第三十三条", False, _M),
        ("A级旅游景区检查", "A级旅游景区", "《中华人民共和国旅游法》第八十三条 《旅游景区质量等级管理办法》", False, "现场检查"),
    )),
    _Dept("SJ10", "松江区农业农村委员会", 34, 1.9, (
        ("农业投入品", ("农药", "兽药", "种子", "肥料", "饲料", "生产资料")),
        ("动物卫生", ("动物", "屠宰", "生猪")),
        ("农产品质量安全", ()),
    ), (
        ("种子经营检查", "种子生产经营者", "《中华人民共和国种子法》第五十条", False, "现场检查、抽样检测"),
        ("饲料和饲料添加剂检查", "饲料生产经营企业", "《饲料和饲料添加剂管理条例》第三十四条", False, "现场检查、抽样检测"),
        ("生猪屠宰检查", "生猪定点屠宰厂", "《生猪屠宰管理条例》第二十六条", True, "现场检查"),
        ("动物诊疗机构检查", "动物诊疗机构", "《中华人民共和国动物防疫法》第一百零五条 《动物诊疗机构管理办法》第三十条", False, _M),
        ("农民专业合作社农产品质量安全检查", "农民专业合作社、家庭农场", "《中华人民共和国农产品质量安全法》第五十四条",
         False, "现场检查、抽样检测"),
    )),
    _Dept("SJ11", "松江区人力资源和社会保障局", 18, 1.9, (
        ("人力资源市场", ("人力资源服务", "职业中介")),
        ("劳动保障", ()),
    ), (
        ("人力资源服务机构检查", "经营性人力资源服务机构", "《人力资源市场暂行条例》第三十八条", False, _M),
        ("劳务派遣单位检查", "劳务派遣单位", "《劳务派遣行政许可实施办法》第二十一条 《劳务派遣暂行规定》第二十二条", False, _M),
    )),
    _Dept("SJ12", "松江区应急管理局", 28, 1.9, (
        ("危险化学品", ("危险化学品", "烟花")),
        ("安全生产", ()),
    ), (
        ("危险化学品经营企业检查", "危险化学品经营企业", "《危险化学品安全管理条例》第六条", True, "现场检查、书面检查"),
        ("工贸企业粉尘防爆检查", "存在粉尘爆炸危险的工贸企业", "《工贸企业粉尘防爆安全规定》第二十六条", True, "现场检查"),
        ("有限空间作业安全检查", "工贸企业", "《工贸企业有限空间作业安全规定》第二十条", True, "现场检查"),
        ("安全生产培训检查", "生产经营单位", "《生产经营单位安全培训规定》第二十八条", False, "书面检查、现场检查"),
    )),
    _Dept("SJ13", "松江区消防救援支队", 14, 2.0, (
        ("消防安全", ()),
    ), (
        ("人员密集场所消防安全检查", "宾馆、商场、公共娱乐场所等人员密集场所", "《中华人民共和国消防法》第十六条 《消防监督检查规定》第六条",
         True, "现场检查"),
        ("消防技术服务机构检查", "消防技术服务机构", "《社会消防技术服务管理规定》第二十八条", False, _M),
        ("社会单位消防安全检查", "机关、团体、企业、事业单位", "《机关、团体、企业、事业单位消防安全管理规定》第四条", False, "现场检查"),
    )),
    _Dept("SJ14", "国家税务总局上海市松江区税务局", 12, 1.9, (
        ("税收征管", ()),
    ), (
        ("发票使用检查", "纳税人", "《中华人民共和国发票管理办法》第三十条", False, "书面检查、实地检查"),
        ("纳税申报检查", "纳税人、扣缴义务人", "《中华人民共和国税收征收管理法》第五十四条", False, "书面检查、调账检查"),
    )),
    _Dept("SJ15", "松江区民政局", 16, 1.8, (
        ("养老服务", ("养老",)),
        ("社会组织管理", ()),
    ), (
        ("养老机构检查", "养老机构", "《养老机构管理办法》第三十九条", True, _M),
        ("社会团体检查", "社会团体", "《社会团体登记管理条例》第二十四条", False, "书面检查"),
        ("民办非企业单位检查", "民办非企业单位", "《民办非企业单位登记管理暂行条例》第十九条", False, "书面检查"),
        ("殡葬服务单位检查", "殡葬服务单位", "《殡葬管理条例》第四条", False, "现场检查"),
    )),
    _Dept("SJ16", "松江区规划和自然资源局", 20, 1.8, (
        ("测绘地理信息", ("测绘", "地质")),
        ("土地管理", ()),
    ), (
        ("土地利用检查", "土地使用权人", "《中华人民共和国土地管理法》第六十七条", False, "现场检查"),
        ("测绘资质单位检查", "测绘资质单位", "《中华人民共和国测绘法》第二十九条 《测绘资质管理办法》第二十八条", False, _M),
        ("地质灾害防治单位检查", "地质灾害危险性评估、治理单位", "《地质灾害防治条例》第三十八条", False, _M),
    )),
    _Dept("SJ17", "松江区水务局", 18, 1.8, (
        ("排水管理", ("排水", "污水")),
        ("水资源管理", ()),
    ), (
        ("取水许可检查", "取水单位", "《取水许可和水资源费征收管理条例》第四十五条", False, _M),
        ("排水户检查", "排水户", "《城镇排水与污水处理条例》第二十一条", False, "现场检查、抽样检测"),
        ("河道管理范围内建设项目检查", "河道管理范围内建设单位", "《中华人民共和国河道管理条例》第十一条", False, "现场检查"),
    )),
    _Dept("SJ18", "松江区绿化和市容管理局", 20, 1.8, (
        ("林业园林", ("林木", "绿化", "种苗")),
        ("市容环境卫生", ()),
    ), (
        ("生活垃圾分类检查", "生活垃圾分类投放管理责任人", "《上海市生活垃圾管理条例》第二十一条", False, "现场检查"),
        ("户外广告设施检查", "户外广告设施设置者", "《上海市户外广告设施管理办法》第二十六条", False, "现场检查"),
        ("建筑垃圾运输检查", "建筑垃圾运输单位", "《上海市建筑垃圾处理管理规定》第二十一条", False, "现场检查、网络检查"),
        ("林木种苗生产经营检查", "林木种苗生产经营者", "《中华人民共和国种子法》第五十条", False, "现场检查"),
    )),
    _Dept("SJ19", "松江区城市管理行政执法局", 16, 1.8, (
        ("城市管理", ()),
    ), (
        ("门责管理检查", "沿街商户", "《上海市市容环境卫生管理条例》第十七条", False, "现场检查"),
        ("文明施工检查", "建设工程施工单位", "《上海市建设工程文明施工管理规定》第四十条", False, "现场检查"),
        ("餐饮油烟排放检查", "排放油烟的餐饮服务单位", "《中华人民共和国大气污染防治法》第八十一条", False, "现场检查"),
    )),
    _Dept("SJ20", "松江区房屋管理局", 14, 1.8, (
        ("物业管理", ("物业",)),
        ("房地产市场", ()),
    ), (
        ("房地产经纪机构检查", "房地产经纪机构", "《房地产经纪管理办法》第三十六条", False, "现场检查、书面检查"),
        ("物业服务企业检查", "物业服务企业", "《物业管理条例》第五条 《上海市住宅物业管理规定》第八十三条", False, _M),
        ("房地产开发企业检查", "房地产开发企业", "《城市房地产开发经营管理条例》第三十三条", False, "书面检查"),
        ("住房租赁企业检查", "住房租赁企业", "《上海市住房租赁条例》第五十二条", False, "现场检查、网络检查"),
    )),
    _Dept("SJ21", "松江区统计局", 6, 1.6, (
        ("统计执法", ()),
    ), (
        ("统计调查对象检查", "统计调查对象", "《中华人民共和国统计法》第七条、第三十五条 《统计执法监督检查办法》第十四条", False,
         "书面检查、实地核查"),
    )),
    _Dept("SJ22", "松江区发展和改革委员会", 10, 1.7, (
        ("投资与价格管理", ()),
    ), (
        ("固定资产投资项目节能审查检查", "固定资产投资项目建设单位", "《固定资产投资项目节能审查办法》第十九条", False, _M),
        ("招标投标活动检查", "招标人、招标代理机构", "《中华人民共和国招标投标法实施条例》第四条", False, "书面检查"),
    )),
    _Dept("SJ23", "松江区科学技术委员会", 6, 1.6, (
        ("科技管理", ()),
    ), (
        ("高新技术企业检查", "高新技术企业", "《高新技术企业认定管理办法》第十六条", False, "书面检查"),
        ("技术合同登记检查", "技术合同登记申请单位", "《技术合同认定登记管理办法》第二十二条", False, "书面检查"),
    )),
    _Dept("SJ24", "松江区经济委员会", 8, 1.7, (
        ("节能与工业管理", ()),
    ), (
        ("重点用能单位节能检查", "重点用能单位", "《中华人民共和国节约能源法》第五十四条", False, _M),
        ("监控化学品检查", "监控化学品生产经营使用单位", "《监控化学品管理条例》第十四条", True, "现场检查"),
    )),
    _Dept("SJ25", "松江区医疗保障局", 8, 1.7, (
        ("医疗保障", ()),
    ), (
        ("定点医药机构检查", "定点医疗机构、定点零售药店", "《医疗保障基金使用监督管理条例》第二十二条", True, "现场检查、书面检查"),
        ("定点零售药店检查", "定点零售药店", "《零售药店医疗保障定点管理暂行办法》第三十六条", False, "现场检查、网络检查"),
    )),
    _Dept("SJ26", "松江区体育局", 8, 1.7, (
        ("体育经营", ()),
    ), (
        ("游泳场所检查", "游泳场所", "《全民健身条例》第三十二条 《经营高危险性体育项目许可管理办法》第二十五条", True, "现场检查"),
        ("体育培训机构检查", "体育类校外培训机构", "《中华人民共和国体育法》第一百零五条", False, "现场检查、书面检查"),
    )),
    _Dept("SJ27", "松江区司法局", 8, 1.7, (
        ("法律服务", ()),
    ), (
        ("律师事务所检查", "律师事务所", "《中华人民共和国律师法》第五十二条 《律师事务所管理办法》第八十条", False, "书面检查、现场检查"),
        ("司法鉴定机构检查", "司法鉴定机构", "《司法鉴定机构登记管理办法》第三十四条", False, _M),
        ("基层法律服务所检查", "基层法律服务所", "《基层法律服务所管理办法》第二十九条", False, "书面检查"),
    )),
    _Dept("SJ28", "松江区财政局", 6, 1.6, (
        ("会计监督", ()),
    ), (
        ("代理记账机构检查", "代理记账机构", "《代理记账管理办法》第二十二条", False, "书面检查、现场检查"),
        ("会计信息质量检查", "企业、事业单位", "《中华人民共和国会计法》第三十二条", False, "书面检查"),
        ("资产评估机构检查", "资产评估机构", "《中华人民共和国资产评估法》第四十三条", False, "书面检查"),
    )),
    _Dept("SJ29", "上海市松江区烟草专卖局", 5, 1.6, (
        ("烟草专卖", ()),
    ), (
        ("烟草专卖零售许可证持证户检查", "烟草专卖零售许可证持证户", "《中华人民共和国烟草专卖法实施条例》第五十六条", False,
         "现场检查"),
        ("电子烟经营检查", "电子烟经营者", "《电子烟管理办法》第三十九条", False, "现场检查、网络检查"),
    )),
)
assert len(DEPARTMENTS) == N_DEPARTMENTS

# Which district department a row of the real lists belongs to (first match on its
# department, then its lead department). Rows of departments 松江 has no unit for (customs) drop out.
_REAL_DEPT_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("市场监", "SJ01"), ("特种设备", "SJ01"), ("食品生产", "SJ01"), ("卫健", "SJ02"), ("卫生健康", "SJ02"),
    ("教育", "SJ03"), ("公安", "SJ04"), ("生态环境", "SJ05"), ("城乡建设", "SJ06"), ("交通", "SJ07"),
    ("商务", "SJ08"), ("旅文", "SJ09"), ("文旅", "SJ09"), ("旅游文化", "SJ09"), ("宣传", "SJ09"),
    ("农业农村", "SJ10"), ("人力资源", "SJ11"), ("应急", "SJ12"), ("消防", "SJ13"), ("税务", "SJ14"),
    ("统计", "SJ21"), ("发展改革", "SJ22"),
)

# 检查内容 of a 监管事项: an aspect of the object, and the check points one 检查实施清单 row covers.
ASPECTS: tuple[tuple[str, tuple[str, str, str]], ...] = (
    ("许可（备案）", ("许可证件取得及有效期", "许可事项变更", "许可证件公示")),
    ("主体资格", ("登记事项与实际一致性", "经营场所核查", "负责人资格")),
    ("管理制度", ("管理制度建立", "岗位责任落实", "内部自查")),
    ("从业人员", ("持证上岗", "培训考核", "健康管理")),
    ("台账记录", ("进货查验记录", "经营台账", "档案保存")),
    ("设施设备", ("设施设备配置", "维护保养", "定期检验")),
    ("信息公示", ("公示及时性", "公示信息真实性", "公示内容完整性")),
    ("经营行为", ("经营范围合规性", "禁止性行为", "合同与票据")),
    ("安全管理", ("风险隐患排查", "应急预案与演练", "安全警示标识")),
    ("投诉处理", ("投诉举报处理", "消费者权益保障", "问题整改落实")),
    ("标识标签", ("标签标识", "明码标价", "宣传用语")),
    ("环境卫生", ("环境卫生", "废弃物处置", "消毒措施")),
)

# 部门联合抽查事项 taken from the real joint lists (domain-rules §7): (name, object, lead,
# partners), each department as (id, keyword of its theme). Joint items after these are drawn.
_JOINT_TEMPLATES: tuple[tuple[str, str, tuple[str, str], tuple[tuple[str, str], ...]], ...] = (
    ("宾馆、旅店取得许可证情况的检查", "各类宾馆、旅店", ("SJ04", "宾馆"),
     (("SJ02", "宾馆"), ("SJ13", "人员密集"))),
    ("企业年度报告公示信息的检查", "各类企业", ("SJ01", "年度报告"), (("SJ11", "社会保险"), ("SJ08", "汽车"))),
    ("机动车排放检验情况和设备使用情况检查", "机动车排放检验单位", ("SJ01", "检验检测"), (("SJ05", "机动车排放"),)),
    ("道路危险货物运输企业检查", "道路危险货物运输企业", ("SJ07", "道路运输"),
     (("SJ12", "危险化学品"), ("SJ01", "特种设备"), ("SJ14", "税务"))),
    ("经营性互联网文化单位经营情况的检查", "经营性互联网文化单位", ("SJ09", "互联网"), (("SJ04", "治安"), ("SJ14", "税务"))),
    ("新车销售市场监管", "新车销售市场经营主体", ("SJ08", "汽车"), (("SJ01", "价格"), ("SJ14", "税务"))),
    ("涉税当事人申报缴纳税款情况的检查", "纳税人、扣缴义务人和其他涉税当事人", ("SJ14", "税务"),
     (("SJ01", "登记"), ("SJ04", "治安"))),
    ("各类用人单位工资支付情况检查", "各类用人单位（与劳动者建立劳动关系）", ("SJ11", "工作时间"),
     (("SJ01", "登记"), ("SJ14", "税务"), ("SJ06", "建筑"), ("SJ07", "道路运输"))),
    ("歌舞娱乐场所取得、公示相关许可证及其他情况的检查", "歌舞(游艺)娱乐经营场所", ("SJ09", "游艺"),
     (("SJ13", "人员密集"),)),
    ("旅行社取得许可证情况的检查", "旅行社", ("SJ09", "旅行社"), (("SJ01", "广告"),)),
    ("经营高危险性体育项目的检查", "经营高危险性体育项目单位(游泳场所)", ("SJ26", "游泳"), (("SJ02", "公共场所"),)),
    ("学科类校外培训机构招生、办学、收费等情况的检查", "校外培训机构", ("SJ03", "校外培训"), (("SJ01", "价格"),)),
    ("保安从业单位及其保安服务活动情况的检查", "保安行业相关单位", ("SJ04", "保安"), (("SJ11", "劳务派遣"), ("SJ01", "登记"))),
    ("餐具饮具集中消毒服务单位的检查", "餐具饮具集中消毒服务单位", ("SJ02", "消毒"), (("SJ01", "餐饮"),)),
    ("工程咨询单位备案信息一致性及其他情况的检查", "工程咨询单位", ("SJ22", "工程咨询"), (("SJ01", "登记"),)),
    ("包装装潢、其他印刷品印刷单位经营情况的检查", "包装装潢、其他印刷品印刷单位", ("SJ09", "印刷"), (("SJ01", "产品质量"),)),
    ("药品零售企业联合检查", "药品零售企业", ("SJ01", "药品经营"), (("SJ25", "定点零售药店"),)),
    ("养老机构联合检查", "养老机构", ("SJ15", "养老"), (("SJ01", "食堂"), ("SJ13", "人员密集"), ("SJ02", "公共场所"))),
    ("物业服务企业联合检查", "物业服务企业", ("SJ20", "物业"), (("SJ13", "社会单位"), ("SJ01", "特种设备"))),
    ("食用农产品集中交易市场联合检查", "食用农产品集中交易市场", ("SJ01", "食用农产品"), (("SJ10", "农产品"),)),
)

# Departments that plausibly inspect the same objects as a lead (for drawn joint items).
_AFFINITY: dict[str, tuple[str, ...]] = {
    "SJ01": ("SJ02", "SJ04", "SJ05", "SJ08", "SJ09", "SJ10", "SJ11", "SJ12", "SJ13", "SJ14", "SJ25"),
    "SJ02": ("SJ01", "SJ03", "SJ13", "SJ15"), "SJ03": ("SJ01", "SJ02", "SJ13"),
    "SJ04": ("SJ01", "SJ02", "SJ09", "SJ13"), "SJ05": ("SJ01", "SJ12", "SJ17", "SJ19"),
    "SJ06": ("SJ01", "SJ12", "SJ13", "SJ16", "SJ20"), "SJ07": ("SJ01", "SJ04", "SJ12", "SJ14"),
    "SJ08": ("SJ01", "SJ04", "SJ05", "SJ14"), "SJ09": ("SJ01", "SJ02", "SJ04", "SJ13"),
    "SJ10": ("SJ01", "SJ05", "SJ17"), "SJ11": ("SJ01", "SJ06", "SJ07", "SJ14"), "SJ12": ("SJ01", "SJ05", "SJ13"),
    "SJ13": ("SJ01", "SJ04", "SJ12"), "SJ14": ("SJ01", "SJ04", "SJ11"), "SJ15": ("SJ01", "SJ02", "SJ13"),
    "SJ16": ("SJ05", "SJ06", "SJ17"), "SJ17": ("SJ05", "SJ06", "SJ19"), "SJ18": ("SJ01", "SJ05", "SJ19"),
    "SJ19": ("SJ01", "SJ05", "SJ18"), "SJ20": ("SJ01", "SJ06", "SJ13"), "SJ21": ("SJ01", "SJ14"),
    "SJ22": ("SJ01", "SJ24"), "SJ23": ("SJ01", "SJ14"), "SJ24": ("SJ01", "SJ05", "SJ12"), "SJ25": ("SJ01", "SJ02"),
    "SJ26": ("SJ01", "SJ02", "SJ13"), "SJ27": ("SJ01", "SJ14"), "SJ28": ("SJ01", "SJ14"), "SJ29": ("SJ01", "SJ04"),
}

# ---------------------------------------------------------------------------------------
# Entities. 街镇 of 松江区 with rough weights (the 新城 街道 and the eastern towns are dense).

AREAS: tuple[tuple[str, float], ...] = (
    ("岳阳街道", 6), ("永丰街道", 6), ("方松街道", 8), ("中山街道", 7), ("广富林街道", 5), ("九里亭街道", 5),
    ("泗泾镇", 9), ("佘山镇", 5), ("车墩镇", 7), ("新桥镇", 8), ("洞泾镇", 6), ("九亭镇", 11), ("泖港镇", 3),
    ("石湖荡镇", 3), ("新浜镇", 2), ("叶榭镇", 4), ("小昆山镇", 4),
)
ENTITY_TYPES: tuple[tuple[str, str, float], ...] = (  # (主体类型, first two USCC characters, share)
    ("企业", "91", 0.60), ("个体工商户", "92", 0.38), ("农民专业合作社", "93", 0.01),
    ("其他", "52", 0.01),  # 民办非企业单位: registered by 民政 (authority 5, kind 2), GB 32100 Table 1
)
# GB/T 4754-2017 classes: (code, name, 企业字号后的行业词, 个体店名词, weight 企业, 个体, 合作社, 其他).
INDUSTRIES: tuple[tuple[str, str, str, str, float, float, float, float], ...] = (
    ("A0111", "稻谷种植", "农业发展", "", 0.05, 0, 3, 0), ("A0141", "蔬菜种植", "蔬菜种植", "", 0.1, 0.2, 5, 0),
    ("A0313", "猪的饲养", "畜牧", "", 0.03, 0, 1, 0), ("A0412", "内陆养殖", "水产养殖", "", 0.03, 0.05, 1.5, 0),
    ("C1431", "米、面制品制造", "食品", "", 0.5, 0.2, 0, 0), ("C1391", "淀粉及淀粉制品制造", "食品科技", "", 0.2, 0, 0, 0),
    ("C2231", "纸和纸板容器制造", "包装材料", "", 0.5, 0, 0, 0), ("C2319", "包装装潢及其他印刷", "印务", "印刷部", 0.8, 0.2, 0, 0),
    ("C2669", "其他专用化学产品制造", "化工", "", 0.5, 0, 0, 0), ("C2926", "塑料包装箱及容器制造", "塑料制品", "", 0.8, 0, 0, 0),
    ("C3311", "金属结构制造", "钢结构", "", 1, 0, 0, 0), ("C3670", "汽车零部件及配件制造", "汽车零部件", "", 1.5, 0, 0, 0),
    ("C3911", "计算机整机制造", "电子科技", "", 0.3, 0, 0, 0), ("C3982", "电子电路制造", "电子", "", 1, 0, 0, 0),
    ("D4511", "天然气生产和供应业", "燃气", "", 0.05, 0, 0, 0),
    ("E4790", "其他房屋建筑业", "建设工程", "", 1, 0, 0, 0), ("E4910", "电气安装", "机电安装", "", 0.8, 0, 0, 0),
    ("E5012", "住宅装饰和装修", "装饰工程", "装潢部", 2, 1.5, 0, 0),
    ("F5121", "米、面制品及食用油批发", "粮油贸易", "粮油批发部", 1, 1, 0, 0),
    ("F5137", "服装批发", "服饰贸易", "服装批发部", 1, 0.5, 0, 0), ("F5174", "五金产品批发", "五金", "五金店", 2, 3, 0, 0),
    ("F5211", "百货零售", "百货", "百货商店", 1, 1, 0, 0), ("F5212", "超级市场零售", "超市", "便利店", 2, 6, 0, 0),
    ("F5221", "粮油零售", "粮油", "粮油店", 0.5, 4, 0, 0), ("F5222", "糕点、面包零售", "食品", "糕点店", 0.5, 3, 0, 0),
    ("F5223", "果品、蔬菜零售", "果蔬", "水果店", 0.5, 6, 0, 0),
    ("F5224", "肉、禽、蛋、奶及水产品零售", "生鲜", "鲜肉店", 0.5, 5, 0, 0),
    ("F5226", "酒、饮料及茶叶零售", "酒业", "烟酒店", 0.5, 4, 0, 0), ("F5227", "烟草制品零售", "贸易", "烟杂店", 0.1, 3, 0, 0),
    ("F5232", "服装零售", "服饰", "服装店", 2, 5, 0, 0), ("F5251", "西药零售", "医药", "大药房", 0.8, 0.5, 0, 0),
    ("F5254", "医疗用品及器材零售", "医疗器械", "医疗器械店", 0.8, 0.3, 0, 0),
    ("F5261", "汽车新车零售", "汽车销售服务", "", 0.8, 0, 0, 0), ("F5265", "机动车燃油零售", "石油", "", 0.1, 0, 0, 0),
    ("F5273", "计算机、软件及辅助设备零售", "电脑", "电脑店", 1, 1, 0, 0), ("F5292", "互联网零售", "电子商务", "网店", 3, 2, 0, 0),
    ("G5431", "普通货物道路运输", "物流", "货运部", 1.5, 1, 0, 0), ("G5435", "危险货物道路运输", "危险品运输", "", 0.1, 0, 0, 0),
    ("G5920", "通用仓储", "仓储", "", 1, 0, 0, 0), ("G6020", "快递服务", "快递", "快递代办点", 0.3, 0.5, 0, 0),
    ("H6110", "旅游饭店", "酒店管理", "", 0.2, 0, 0, 0), ("H6121", "经济型连锁酒店", "酒店", "", 0.2, 0, 0, 0),
    ("H6129", "其他一般旅馆", "宾馆", "旅馆", 0.2, 1, 0, 0), ("H6210", "正餐服务", "餐饮管理", "饭店", 2, 5, 0, 0),
    ("H6220", "快餐服务", "餐饮", "快餐店", 1, 5, 0, 0), ("H6232", "咖啡馆服务", "咖啡", "咖啡店", 0.5, 1, 0, 0),
    ("H6291", "小吃服务", "餐饮", "小吃店", 0.5, 5, 0, 0),
    ("I6450", "互联网数据服务", "网络科技", "", 1, 0, 0, 0), ("I6513", "应用软件开发", "信息科技", "", 3, 0, 0, 0),
    ("I6531", "信息系统集成服务", "信息技术", "", 1.5, 0, 0, 0),
    ("K7010", "房地产开发经营", "房地产开发", "", 0.5, 0, 0, 0), ("K7020", "物业管理", "物业管理", "", 1, 0, 0, 0),
    ("K7030", "房地产中介服务", "房地产经纪", "房产中介", 1, 1, 0, 0),
    ("L7212", "投资与资产管理", "投资管理", "", 2, 0, 0, 0), ("L7243", "社会经济咨询", "企业管理咨询", "", 3, 0, 0, 0),
    ("L7259", "其他广告服务", "广告", "广告店", 2, 1, 0, 0), ("L7262", "职业中介服务", "人力资源服务", "", 0.5, 0, 0, 0),
    ("L7263", "劳务派遣服务", "劳务派遣", "", 0.8, 0, 0, 0), ("L7291", "旅行社及相关服务", "旅行社", "", 0.3, 0, 0, 0),
    ("M7320", "工程和技术研究和试验发展", "科技", "", 1, 0, 0, 0), ("M7452", "检测服务", "检测技术", "", 0.3, 0, 0, 0),
    ("M7484", "工程设计活动", "工程设计", "", 0.5, 0, 0, 0), ("M7519", "其他技术推广服务", "科技发展", "", 3, 0.5, 0, 0),
    ("N7820", "环境卫生管理", "环境卫生", "", 0.3, 0, 0, 0),
    ("O8010", "家庭服务", "家政服务", "家政服务部", 0.8, 1, 0, 1), ("O8030", "洗染服务", "洗涤", "洗衣店", 0.1, 1, 0, 0),
    ("O8040", "理发及美容服务", "美容美发", "美发店", 0.5, 4, 0, 0), ("O8051", "洗浴服务", "沐浴", "浴室", 0.1, 0.3, 0, 0),
    ("O8111", "汽车修理与维护", "汽车维修", "汽车修理部", 0.6, 1.5, 0, 0),
    ("P8391", "职业技能培训", "职业培训", "", 0.3, 0, 0, 3), ("P8393", "文化艺术培训", "文化艺术", "艺术培训部", 0.5, 0.3, 0, 3),
    ("Q8425", "门诊部（所）", "医疗", "诊所", 0.2, 0.2, 0, 1), ("Q8514", "老年人、残疾人养护服务", "养老服务", "", 0.2, 0, 0, 2),
    ("R8810", "文艺创作与表演", "文化传播", "", 1, 0, 0, 0), ("R8930", "健身休闲活动", "健身", "健身房", 0.5, 0.3, 0, 0),
    ("R9011", "歌舞厅娱乐活动", "娱乐", "KTV", 0.1, 0.2, 0, 0), ("R9013", "网吧活动", "网络会所", "网吧", 0.1, 0.2, 0, 0),
)
# Names for 民办非企业单位 (entity type 其他), by industry.
_OTHER_WORDS = {"O8010": "社区服务中心", "P8391": "职业技能培训学校", "P8393": "艺术培训学校", "Q8425": "门诊部",
                "Q8514": "敬老院"}
_COOP_WORDS = {"A0111": "粮食种植", "A0141": "蔬菜种植", "A0313": "生猪养殖", "A0412": "水产养殖"}
_ZIHAO = ("鑫", "盛", "华", "达", "丰", "源", "祥", "瑞", "恒", "泰", "宏", "昌", "兴", "隆", "嘉", "和", "金", "福", "佳",
          "美", "润", "通", "新", "创", "汇", "诚", "信", "德", "安", "康", "利", "天", "宇", "辰", "铭", "正", "博", "锦", "荣",
          "晟", "昊", "腾", "蓝", "海", "星", "云", "景", "凯", "益", "永", "明", "洲", "亿", "富", "顺", "君", "启", "睿",
          "卓", "泽", "尚", "优", "品", "茸", "峰", "泖", "九", "松", "禾", "谷", "桥", "湖", "岚", "翔", "骏", "耀")
_SURNAMES = ("王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
             "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董", "袁", "潘", "蒋",
             "蔡", "余", "杜", "叶", "程", "沈", "顾", "陆", "钱", "汪", "姚", "金")
_GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀", "霞",
          "平", "刚", "桂", "华", "建", "国", "文", "辉", "玲", "红", "斌", "琳", "晨", "昊", "婷", "雪", "峰", "宇", "欣",
          "佳", "浩", "颖", "倩", "鹏", "晶", "凯", "燕", "俊", "海", "珍", "蕾")
# Organisation-code bodies 松江 registrations carry (MA + a block letter pair), 31^4 codes each.
_BODY_PREFIXES = ("MA1G", "MA1H", "MA1J", "MA1K", "MA1M", "MA1N", "MA1P", "MA1Q", "MA1R", "MA1T", "MA1W",
                  "MA1X", "MA1Y", "MA7A", "MA7B", "MA7C")
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)  # GB 11714-1997
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)  # GB 32100-2015

# 检查依据 for real rows that came without one (joint-list rows): by a keyword of their 检查事项.
_BASIS_FOR: tuple[tuple[str, str], ...] = (
    ("工程咨询", "《工程咨询行业管理办法》"),
    ("教育装备", "《教育部关于新形势下进一步做好普通中小学装备工作的意见》（教基一〔2016〕3号）"),
    ("学校食堂", "《中华人民共和国食品安全法》第五十七条、第一百一十条 《学校食品安全与营养健康管理规定》"),
    ("消防", "《中华人民共和国消防法》第十六条、第五十三条"),
    ("年度报告", "《企业信息公示暂行条例》第八条、第十四条 《企业公示信息抽查暂行办法》"),
    ("机动车排放", "《中华人民共和国大气污染防治法》第五十四条 《检验检测机构资质认定管理办法》"),
    ("危险货物", "《中华人民共和国道路运输条例》 《道路危险货物运输管理规定》"),
    ("互联网文化", "《互联网文化管理暂行规定》"),
    ("新车销售", "《汽车销售管理办法》"),
    ("涉税", "《中华人民共和国税收征收管理法》第五十四条"),
    ("工资支付", "《劳动保障监察条例》第十一条 《保障农民工工资支付条例》"),
    ("招生", "《中华人民共和国民办教育促进法》第四十一条"),
    ("特种设备作业人员", "《中华人民共和国特种设备安全法》第十四条、第五十七条 《特种设备作业人员监督管理办法》"),
    ("保健食品", "《中华人民共和国食品安全法》第七十四条、第一百一十条"),
    ("印刷", "《印刷业管理条例》"),
    ("消毒", "《中华人民共和国食品安全法》第五十八条 《餐饮具集中消毒单位卫生监督规范》"),
)

_CONFLICT_REASONS = ("近亲属在该单位任职", "曾在该单位任职未满二年", "与该单位存在经济利益关系", "检查对象申请回避")
_ABSENCE_REASONS = ("年休假", "脱产培训", "借调", "病假", "婚假")


# ---------------------------------------------------------------------------------------
# Item lists (一单): themes → 监管事项 → 检查实施清单, then the joint list.


@dataclass(frozen=True)
class _ThemeRow:
    """One 检查类别 of one department: the source of several 监管事项."""

    department_id: str
    category: str
    object_type: str
    basis: str
    important: bool
    methods: tuple[str, ...]
    field: str
    real_name: str | None  # a real 检查事项 name, used for the theme's first item

    @property
    def text(self) -> str:
        return f"{self.category} {self.real_name or ''} {self.object_type} {self.basis}"


@dataclass
class _Lists:
    """The item lists plus what the plan spec needs to find its check items again."""

    departments: tuple[Department, ...]
    supervision_items: tuple[SupervisionItem, ...]
    check_items: tuple[CheckItem, ...]
    joint_items: tuple[JointItem, ...]
    themes: dict[str, list[_ThemeRow]]  # department → themes, in item order
    theme_checks: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (dept, theme) → check ids
    template_joint_ids: dict[str, str] = field(default_factory=dict)  # template name → joint item id


def _methods(text: str) -> tuple[str, ...]:
    """检查方式 of a real row mapped onto the four methods the model knows."""
    found = set()
    if any(k in text for k in ("现场", "实地", "抽样", "现场抽查")):
        found.add("现场检查")
    if any(k in text for k in ("书面", "调账", "备案审查", "自查", "专项检查")):
        found.add("书面检查")
    if any(k in text for k in ("网络", "线上", "技术监测")):
        found.add("网络监测")
    if any(k in text for k in ("专业机构", "检测", "统计督查")):
        found.add("专业机构核查")
    return tuple(m for m in CHECK_METHODS if m in found) or ("现场检查", "书面检查")


def _field_of(dept: _Dept, text: str) -> str:
    """The first 执法领域 with a keyword in ``text``; else the catch-all one (no keywords), else the first."""
    for name, keywords in dept.fields:
        if any(k in text for k in keywords):
            return name
    catch_all = [name for name, keywords in dept.fields if not keywords]
    return catch_all[0] if catch_all else dept.fields[0][0]


def _real_rows() -> list[dict[str, str]]:
    text = resources.files("randsup.demo").joinpath("data/real_items_sample.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


def _local_basis(text: str) -> str:
    """A real row's 检查依据 without the other province's local regulations (they do not bind 松江)."""
    pieces = re.split(r"(?=《)", " ".join(text.split()))
    kept = (p.strip(" ，,；;。、") for p in pieces if "海南" not in p)
    return " ".join(p for p in kept if p)


def _short_object(obj: str) -> str:
    """The object as a name fragment: long lists of subjects shortened to the first one plus 等."""
    return obj if len(obj) <= 12 else obj.split("、")[0].split("，")[0] + "等"


def _themes() -> dict[str, list[_ThemeRow]]:
    """Themes per department: the real list rows that map onto 松江's units, then the ones written here."""
    by_id = {d.department_id: d for d in DEPARTMENTS}
    out: dict[str, list[_ThemeRow]] = {d.department_id: [] for d in DEPARTMENTS}
    seen: set[tuple[str, str]] = set()
    rows = _real_rows()
    basis_of_item: dict[str, str] = {}
    for r in rows:  # the first row naming a 检查事项 with a basis lends it to rows without one
        if _local_basis(r["basis"]):
            basis_of_item.setdefault(r["check_item"].strip(), _local_basis(r["basis"]))
    for r in rows:
        name = r["check_item"].strip()
        if not name:
            continue
        category = r["check_category"].strip() or name
        if "体育" in category:
            dept_id: str | None = "SJ26"
        else:
            owner = r["department"] + " " + r["lead_dept"]
            dept_id = next((d for k, d in _REAL_DEPT_KEYWORDS if k in owner), None)
        if dept_id is None:
            continue
        dept = by_id[dept_id]
        obj = r["check_object"].strip() or "企业"
        key = (dept_id, name)
        if key in seen:
            continue
        seen.add(key)
        basis = (_local_basis(r["basis"]) or basis_of_item.get(name)
                 or next((b for k, b in _BASIS_FOR if k in name), dept.themes[0][2]))
        short = name if len(name) <= 40 else None  # long real names are lists of violations, not titles
        out[dept_id].append(_ThemeRow(dept_id, category, obj, basis, r["item_type"].startswith("重点"),
                                      _methods(r["check_method"]), _field_of(dept, f"{category} {name} {obj}"),
                                      short))
    for dept in DEPARTMENTS:
        for category, obj, basis, important, methods in dept.themes:
            out[dept.department_id].append(_ThemeRow(dept.department_id, category, obj, basis, important,
                                                     _methods(methods), _field_of(dept, f"{category} {obj}"), None))
    return out


def _allocate(total: int, weights: Sequence[float]) -> list[int]:
    """Largest-remainder apportionment of ``total`` by ``weights`` (ties to the earlier entry)."""
    w = np.asarray(weights, dtype=float)
    exact = total * w / w.sum()
    base = np.floor(exact).astype(int)
    order = sorted(range(len(w)), key=lambda i: (-(exact[i] - base[i]), i))
    for i in order[: total - int(base.sum())]:
        base[i] += 1
    return [int(x) for x in base]


def _item_lists(rng: np.random.Generator) -> _Lists:
    themes = _themes()
    n_items = _allocate(N_SUPERVISION_ITEMS, [d.weight for d in DEPARTMENTS])
    extra = _allocate(N_CHECK_ITEMS - N_SUPERVISION_ITEMS,
                      [n * (d.per_item - 1) for n, d in zip(n_items, DEPARTMENTS, strict=True)])
    departments, items, checks = [], [], []
    theme_checks: dict[tuple[str, int], list[str]] = {}
    for dept, n, x in zip(DEPARTMENTS, n_items, extra, strict=True):
        d_id = dept.department_id
        dthemes = themes[d_id]
        if not len(dthemes) <= n <= len(dthemes) * len(ASPECTS) or x > 2 * n:
            raise AssertionError(f"{d_id}: {n} items, {x} extra check items do not fit {len(dthemes)} themes")
        departments.append(Department(department_id=d_id, name=dept.name))
        # Every theme first (its real item first), then further aspects round by round.
        aspect_order = [rng.permutation(len(ASPECTS)) for _ in dthemes]
        pairs = [(t, int(aspect_order[t][k])) for k in range(len(ASPECTS)) for t in range(len(dthemes))][:n]
        pairs.sort()
        # Up to two more check items per item, spread at random.
        more = np.bincount(rng.choice(2 * n, size=x, replace=False) % n, minlength=n)
        c_no = 0
        for i, ((t, a), k_more) in enumerate(zip(pairs, more.tolist(), strict=True)):
            th = dthemes[t]
            aspect, points = ASPECTS[a]
            first_of_theme = i == 0 or pairs[i - 1][0] != t
            obj = _short_object(th.object_type)
            real_item = first_of_theme and th.real_name is not None
            item_name = th.real_name if real_item and th.real_name else f"对{obj}{aspect}情况的检查"
            item_id = f"{d_id}S{i + 1:03d}"
            items.append(SupervisionItem(item_id=item_id, name=item_name, department_id=d_id,
                                         category="重点" if th.important else "一般", legal_basis=th.basis))
            for j in range(1 + k_more):
                c_no += 1
                cid = f"{d_id}C{c_no:03d}"
                checks.append(CheckItem(check_item_id=cid, item_id=item_id, department_id=d_id,
                                        name=item_name if real_item and j == 0 else f"{obj}{points[j]}检查",
                                        field=th.field,
                                        object_type=th.object_type, check_methods=th.methods,
                                        legal_basis=th.basis))
                theme_checks.setdefault((d_id, t), []).append(cid)
    lists = _Lists(tuple(departments), tuple(items), tuple(checks), (), themes, theme_checks)
    lists.joint_items = _joint_list(rng, lists)
    return lists


def _find_theme(lists: _Lists, dept_id: str, keyword: str) -> int:
    for t, th in enumerate(lists.themes[dept_id]):
        if keyword in th.text:
            return t
    raise AssertionError(f"no theme of {dept_id} mentions {keyword!r}")


def _pick_checks(rng: np.random.Generator, lists: _Lists, dept_id: str, theme: int, k: int) -> list[str]:
    ids = lists.theme_checks[(dept_id, theme)]
    chosen = rng.choice(len(ids), size=min(k, len(ids)), replace=False)
    return [ids[i] for i in sorted(chosen.tolist())]


def _joint_list(rng: np.random.Generator, lists: _Lists) -> tuple[JointItem, ...]:
    """The 部门联合抽查事项清单: the real joint items first, then drawn lead/partner combinations.

    Each department's part of a joint item stays within one theme, hence one 执法领域, so a
    team of that department qualifies for all of its check items.
    """
    joint: list[JointItem] = []
    names: set[str] = set()
    for name, obj, (lead, lead_kw), partners in _JOINT_TEMPLATES:
        ids = _pick_checks(rng, lists, lead, _find_theme(lists, lead, lead_kw), 2)
        for p, kw in partners:
            ids += _pick_checks(rng, lists, p, _find_theme(lists, p, kw), 1)
        jid = f"J{len(joint) + 1:03d}"
        joint.append(JointItem(joint_item_id=jid, name=name, lead_department_id=lead,
                               partner_department_ids=tuple(p for p, _ in partners), check_item_ids=tuple(ids),
                               object_type=obj))
        lists.template_joint_ids[name] = jid
        names.add(name)
    dept_ids = [d.department_id for d in DEPARTMENTS]
    # Market regulation leads most joint items in the Shanghai lists.
    lead_w = np.array([d.weight * (4 if d.department_id == "SJ01" else 1) for d in DEPARTMENTS], dtype=float)
    while len(joint) < N_JOINT_ITEMS:
        lead = dept_ids[int(rng.choice(len(dept_ids), p=lead_w / lead_w.sum()))]
        cands = _AFFINITY[lead]
        partners = [cands[i] for i in sorted(rng.choice(len(cands), size=int(rng.integers(1, min(3, len(cands)) + 1)),
                                                        replace=False).tolist())]
        t = int(rng.integers(len(lists.themes[lead])))
        th = lists.themes[lead][t]
        aspect = ASPECTS[int(rng.integers(len(ASPECTS)))][0]
        name = f"{_short_object(th.object_type)}{aspect}等情况联合检查"
        if name in names:
            continue
        names.add(name)
        ids = _pick_checks(rng, lists, lead, t, int(rng.integers(1, 3)))
        for p in partners:
            ids += _pick_checks(rng, lists, p, int(rng.integers(len(lists.themes[p]))), 1)
        joint.append(JointItem(joint_item_id=f"J{len(joint) + 1:03d}", name=name, lead_department_id=lead,
                               partner_department_ids=tuple(partners), check_item_ids=tuple(ids),
                               object_type=th.object_type))
    return tuple(joint)


# ---------------------------------------------------------------------------------------
# 检查对象名录库: vectorised, one row per market entity.

_ALPHABET_CODES = np.frombuffer(ALPHABET.encode("ascii"), dtype=np.uint8)
_VALUE31 = np.full(128, -1, dtype=np.int64)
_VALUE31[_ALPHABET_CODES] = np.arange(len(ALPHABET))


def _uscc(rng: np.random.Generator, heads: np.ndarray) -> np.ndarray:
    """Unique 统一社会信用代码 for rows whose first two characters are ``heads`` (e.g. "91").

    Layout (GB 32100-2015): authority + kind, 310117, an 8-character organisation body with its
    GB 11714 check character, and the GB 32100 check character over the first 17.
    """
    n = heads.shape[0]
    block = 31 ** 4
    k = rng.choice(len(_BODY_PREFIXES) * block, size=n, replace=False)
    out = np.empty((n, 18), dtype=np.uint8)
    out[:, :2] = np.frombuffer("".join(heads.tolist()).encode("ascii"), dtype=np.uint8).reshape(n, 2)
    out[:, 2:8] = np.frombuffer(DIVISION.encode("ascii"), dtype=np.uint8)
    prefixes = np.frombuffer("".join(_BODY_PREFIXES).encode("ascii"), dtype=np.uint8).reshape(-1, 4)
    out[:, 8:12] = prefixes[k // block]
    # 民办非企业单位 (民政) carry MJ bodies instead of MA.
    out[heads == "52", 9] = ord("J")
    rest = k % block
    for j in range(4):
        out[:, 15 - j] = _ALPHABET_CODES[rest % 31]
        rest //= 31
    body = out[:, 8:16].astype(np.int64)
    org_values = np.where(body <= ord("9"), body - ord("0"), body - 55)  # GB 11714: A=10 … Z=35
    r = 11 - (org_values @ _ORG_WEIGHTS) % 11
    out[:, 16] = np.where(r == 10, ord("X"), np.where(r == 11, ord("0"), r + ord("0")))
    total = _VALUE31[out[:, :17]] @ _USCC_WEIGHTS
    out[:, 17] = _ALPHABET_CODES[(31 - total % 31) % 31]
    return out.view("S18").reshape(n).astype("U18")


def _pick(rng: np.random.Generator, weights: Sequence[float], size: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return rng.choice(w.shape[0], size=size, p=w / w.sum()).astype(np.int32)


def _entities(rng: np.random.Generator, n: int) -> EntityTable:
    type_idx = _pick(rng, [t[2] for t in ENTITY_TYPES], n)
    ind_idx = np.empty(n, dtype=np.int32)
    for t in range(len(ENTITY_TYPES)):
        rows = np.flatnonzero(type_idx == t)
        ind_idx[rows] = _pick(rng, [ind[4 + t] for ind in INDUSTRIES], rows.shape[0])
    area_idx = _pick(rng, [a[1] for a in AREAS], n)
    risk = _pick(rng, [0.20, 0.65, 0.12, 0.03], n).astype(np.uint8)
    # 经营异常名录 concentrates in the high-risk classes (it feeds the credit-risk score).
    abnormal = rng.random(n) < np.array([0.005, 0.02, 0.08, 0.25])[risk]
    desk = rng.random(n) < 0.005
    tag_names = tuple(sorted((TAG_ABNORMAL, TAG_DESK_CHECK)))
    tags = (abnormal.astype(np.uint64) << np.uint64(tag_names.index(TAG_ABNORMAL))) | (
        desk.astype(np.uint64) << np.uint64(tag_names.index(TAG_DESK_CHECK)))
    inspected = rng.random(n) < 0.25
    first, last = np.datetime64("2024-01-02"), np.datetime64("2026-12-25")
    days = rng.integers(0, int((last - first).astype(int)), size=n)
    last_inspected = np.where(inspected, first + days.astype("timedelta64[D]"), np.datetime64("NaT", "D"))

    ids = _uscc(rng, np.asarray([t[1] for t in ENTITY_TYPES])[type_idx])
    z1, z2 = rng.integers(len(_ZIHAO), size=(2, n)).tolist()
    third = (rng.random(n) < 0.3).tolist()
    z3 = rng.integers(len(_ZIHAO), size=n).tolist()
    suffix = _pick(rng, [0.9, 0.05, 0.05], n).tolist()
    names = []
    for i, (t, ind, a) in enumerate(zip(type_idx.tolist(), ind_idx.tolist(), area_idx.tolist(), strict=True)):
        zihao = _ZIHAO[z1[i]] + _ZIHAO[z2[i]] + (_ZIHAO[z3[i]] if third[i] else "")
        code, _, word, shop = INDUSTRIES[ind][:4]
        if t == 0:
            tail = ("有限公司", "股份有限公司", "有限公司松江分公司")[suffix[i]]
            names.append(f"上海{zihao}{word}{tail}")
        elif t == 1:
            names.append(f"松江区{AREAS[a][0]}{zihao}{shop or word + '经营部'}")
        elif t == 2:
            names.append(f"上海松江区{AREAS[a][0]}{zihao}{_COOP_WORDS.get(code, '农业')}专业合作社")
        else:
            names.append(f"上海市松江区{zihao}{_OTHER_WORDS.get(code, '服务中心')}")

    order = np.argsort(ids, kind="stable")
    return EntityTable(
        entity_id=ids[order],
        name=np.asarray(names, dtype=str)[order],
        entity_type=Categorical.from_values(np.asarray([t[0] for t in ENTITY_TYPES])[type_idx[order]]),
        industry=Categorical.from_values(np.asarray([i[0] for i in INDUSTRIES])[ind_idx[order]]),
        area=Categorical.from_values(np.asarray([a[0] for a in AREAS])[area_idx[order]]),
        risk_class=risk[order],
        tags=tags[order],
        tag_names=tag_names,
        last_inspected=last_inspected[order].astype("datetime64[D]"),
    )


# ---------------------------------------------------------------------------------------
# 执法检查人员名录库 and the side tables.


def _dept_fields(lists: _Lists) -> dict[str, list[tuple[str, int]]]:
    """Each department's 执法领域 with how many of its check items need it, most first."""
    counts: dict[str, dict[str, int]] = {}
    for c in lists.check_items:
        per = counts.setdefault(c.department_id, {})
        per[c.field] = per.get(c.field, 0) + 1
    return {d: sorted(per.items(), key=lambda kv: (-kv[1], kv[0])) for d, per in counts.items()}


def _min_inspectors(n_fields: int) -> int:
    # Each inspector holds up to three fields; MIN_PER_FIELD valid non-experts per field, plus one spare.
    return max(MIN_PER_FIELD + 1, math.ceil(MIN_PER_FIELD * n_fields / 2) + 1)


def minimum_inspectors() -> int:
    """The fewest inspectors :func:`generate_directory` accepts: enough for every department's fields."""
    lists = _item_lists(np.random.Generator(np.random.PCG64(0)))  # field sets do not depend on the seed
    return sum(_min_inspectors(len(f)) for f in _dept_fields(lists).values())


def _random_date(rng: np.random.Generator, first: dt.date, last: dt.date) -> dt.date:
    return first + dt.timedelta(days=int(rng.integers(0, (last - first).days + 1)))


def _person_name(rng: np.random.Generator) -> str:
    given = "".join(_GIVEN[int(i)] for i in rng.integers(len(_GIVEN), size=int(rng.integers(1, 3))))
    return _SURNAMES[int(rng.integers(len(_SURNAMES)))] + given


def _inspectors(rng: np.random.Generator, lists: _Lists, m: int) -> tuple[Inspector, ...]:
    fields = _dept_fields(lists)
    dept_ids = [d.department_id for d in lists.departments]
    minimum = [_min_inspectors(len(fields[d])) for d in dept_ids]
    if m < sum(minimum):
        raise InputError(Problem("--inspectors", None, None, str(m),
                                 f"at least {sum(minimum)} inspectors are needed so that every department has "
                                 f"{MIN_PER_FIELD} certified non-experts in each of its 执法领域; ask for more"),
                         header="bad option")
    # Beyond the minimum, inspectors follow the workload: the number of check items per department.
    n_checks = [sum(c for _, c in fields[d]) for d in dept_ids]
    counts = [a + b for a, b in zip(minimum, _allocate(m - sum(minimum), n_checks), strict=True)]
    serials = rng.choice(10 ** max(5, len(str(m)) + 1), size=m, replace=False)
    area_w = [a[1] for a in AREAS]
    out: list[Inspector] = []
    for d, n in zip(dept_ids, counts, strict=True):
        names = [f for f, _ in fields[d]]
        # Square-root weights: officers cover small fields more often than their share of items.
        w = np.sqrt(np.asarray([c for _, c in fields[d]], dtype=float))
        width = max(4, len(str(n)))
        expert = rng.random(n) < 0.03
        expiring = rng.random(n) < 0.02
        # Keep enough ordinary, valid inspectors for the minimum: the first ones never are experts or expiring.
        keep = _min_inspectors(len(names))
        expert[:keep] = False
        expiring[:keep] = False
        held: list[list[str]] = []
        for _ in range(n):
            k = min(len(names), 1 + int(_pick(rng, [0.45, 0.4, 0.15], 1)[0]))
            held.append([names[i] for i in rng.choice(len(names), size=k, replace=False, p=w / w.sum())])
        # Repair: each field reaches MIN_PER_FIELD among the always-valid first `keep` inspectors.
        for f in names:
            have = sum(f in h for h in held[:keep])
            for h in sorted(held[:keep], key=len):
                if have >= MIN_PER_FIELD:
                    break
                if f not in h:
                    h.append(f)
                    have += 1
        for i in range(n):
            valid = (_random_date(rng, dt.date(2027, 1, 15), dt.date(2027, 3, 20)) if expiring[i]
                     else _random_date(rng, dt.date(2028, 1, 1), dt.date(2030, 12, 31)))
            out.append(Inspector(
                inspector_id=f"{d}P{i + 1:0{width}d}",
                name=_person_name(rng),
                department_id=d,
                certificate_no=f"{DIVISION}{int(serials[len(out)]):05d}",
                certificate_valid_until=valid,
                fields=tuple(sorted(held[i], key=names.index)),
                area=AREAS[int(_pick(rng, area_w, 1)[0])][0],
                is_expert=bool(expert[i]),
                max_visits_per_day=int(rng.integers(2, 5)),
                max_visits_per_quarter=int(rng.integers(8, 17)) * 5,
            ))
    return tuple(out)


def _workdays_2026() -> list[dt.date]:
    day, out = dt.date(2026, 1, 1), []
    while day.year == 2026:
        if chinese_calendar.is_workday(day):
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def _side_tables(rng: np.random.Generator, entities: EntityTable, inspectors: tuple[Inspector, ...]
                 ) -> tuple[tuple[Conflict, ...], tuple[Unavailability, ...], tuple[HistoryVisit, ...], np.ndarray]:
    """回避, absences in 2027Q1, and 2026 visits; returns last_inspected updated by the visits."""
    n, m = len(entities), len(inspectors)
    ids = entities.entity_id
    who = rng.choice(m, size=max(3, m // 40), replace=False)
    conflicts = tuple(sorted(
        (Conflict(inspector_id=inspectors[int(i)].inspector_id, entity_id=str(ids[int(rng.integers(n))]),
                  reason=_CONFLICT_REASONS[int(rng.integers(len(_CONFLICT_REASONS)))]) for i in who),
        key=lambda c: (c.inspector_id, c.entity_id)))
    away = rng.choice(m, size=max(2, m // 16), replace=False)
    absences = []
    for i in sorted(away.tolist()):
        start = _random_date(rng, dt.date(2027, 1, 4), dt.date(2027, 3, 24))
        end = min(start + dt.timedelta(days=int(rng.integers(1, 14))), QUARTER_END)
        absences.append(Unavailability(inspector_id=inspectors[i].inspector_id, start=start, end=end,
                                       reason=_ABSENCE_REASONS[int(rng.integers(len(_ABSENCE_REASONS)))]))
    by_dept: dict[str, list[Inspector]] = {}
    for x in inspectors:
        if not x.is_expert:
            by_dept.setdefault(x.department_id, []).append(x)
    depts = sorted(by_dept)
    dept_w = [len(by_dept[d]) for d in depts]
    workdays = _workdays_2026()
    last = entities.last_inspected.copy()
    history = []
    for _ in range(max(10, n // 150)):
        e = int(rng.integers(n))
        d = depts[int(_pick(rng, dept_w, 1)[0])]
        day = workdays[int(rng.integers(len(workdays)))]
        for j in sorted(rng.choice(len(by_dept[d]), size=2, replace=False).tolist()):
            history.append(HistoryVisit(entity_id=str(ids[e]), inspector_id=by_dept[d][j].inspector_id,
                                        department_id=d, date=day))
        stamp = np.datetime64(day, "D")
        if np.isnat(last[e]) or last[e] < stamp:
            last[e] = stamp
    history.sort(key=lambda h: (h.date, h.entity_id, h.inspector_id))
    return conflicts, tuple(absences), tuple(history), last


def _generate(entities: int, inspectors: int, seed: int) -> tuple[Directory, _Lists]:
    if entities < MIN_ENTITIES:
        raise InputError(Problem("--entities", None, None, str(entities),
                                 f"ask for at least {MIN_ENTITIES} entities so that every task finds some"),
                         header="bad option")
    if seed < 0:
        raise InputError(Problem("--seed", None, None, str(seed), "the seed must be a whole number ≥ 0"),
                         header="bad option")
    parts = np.random.SeedSequence(seed).spawn(4)
    items_rng, entity_rng, inspector_rng, side_rng = (np.random.Generator(np.random.PCG64(s)) for s in parts)
    lists = _item_lists(items_rng)
    table = _entities(entity_rng, entities)
    people = _inspectors(inspector_rng, lists, inspectors)
    conflicts, absences, history, last = _side_tables(side_rng, table, people)
    table = dataclasses.replace(table, last_inspected=last)
    directory = Directory(departments=lists.departments, supervision_items=lists.supervision_items,
                          check_items=lists.check_items, joint_items=lists.joint_items, entities=table,
                          inspectors=people, conflicts=conflicts, unavailability=absences, history=history)
    return directory, lists


def generate_directory(*, entities: int = 300_000, inspectors: int = 1_800, seed: int = 0) -> Directory:
    """A Songjiang-like 一单两库, the same for the same arguments on every machine.

    Args:
        entities: market entities in the 检查对象名录库 (at least 200).
        inspectors: people in the 执法检查人员名录库 (at least :func:`minimum_inspectors`).
        seed: any whole number ≥ 0.

    Raises:
        InputError: too few entities or inspectors for a coherent district, or a negative seed.
    """
    return _generate(entities, inspectors, seed)[0]


# ---------------------------------------------------------------------------------------
# The sample plan specification for 2027Q1 and the provisional 2027 holidays.

_R_LOW = {"A": "0.001", "B": "0.002", "C": "0.005", "D": "0.02"}
_R_MID = {"A": "0.005", "B": "0.015", "C": "0.05", "D": "0.2"}
_R_STD = {"A": "0.01", "B": "0.03", "C": "0.08", "D": "0.3"}
_R_HIGH = {"A": "0.05", "B": "0.1", "C": "0.2", "D": "0.5"}
_R_PROD = {"A": "0.005", "B": "0.01", "C": "0.03", "D": "0.1"}
_URBAN = ["岳阳街道", "永丰街道", "方松街道", "中山街道"]

# (task id, name, (department, theme keyword) or joint template name, population, ratio or count,
# coordination). Sized so that the default directory gives about 5,000 (task, entity) pairs.
_TASKS: tuple[tuple[str, str, tuple[str, str] | str, dict[str, list[str]] | None,
                    dict[str, str] | int, str], ...] = (
    ("T01", "食品销售者监督检查", ("SJ01", "高风险食品销售"),
     {"entity_type": ["企业", "个体工商户"], "industry_prefix": ["F522"]}, _R_MID, "together"),
    ("T02", "餐饮服务单位监督检查", ("SJ01", "餐饮服务"), {"industry_prefix": ["H62"]}, _R_MID, "together"),
    ("T03", "年度报告公示信息抽查（不定向）", ("SJ01", "年度报告公示信息的检查"), None, _R_LOW, "together"),
    ("T04", "特种设备使用单位监督检查", ("SJ01", "特种设备使用单位"),
     {"industry_prefix": ["C", "G59", "H61", "K702"]}, 120, "together"),
    ("T05", "生产领域产品质量监督检查", ("SJ01", "生产领域产品质量"), {"industry_prefix": ["C"]}, _R_PROD, "together"),
    ("T06", "城区商户价格行为检查", ("SJ01", "价格"), {"industry_prefix": ["F52", "H62"], "area": _URBAN}, 150,
     "together"),
    ("T07", "宾馆、旅店联合检查", "宾馆、旅店取得许可证情况的检查", {"industry_prefix": ["H61"]},
     {"A": "0.02", "B": "0.05", "C": "0.1", "D": "0.3"}, "together"),
    ("T08", "校外培训机构联合检查", "学科类校外培训机构招生、办学、收费等情况的检查", {"industry_prefix": ["P839"]},
     _R_MID, "together"),
    ("T09", "用人单位劳动保障监察", ("SJ11", "工作时间"), {"entity_type": ["企业"]}, 200, "together"),
    ("T10", "歌舞娱乐场所联合检查", "歌舞娱乐场所取得、公示相关许可证及其他情况的检查", {"industry_prefix": ["R901"]},
     _R_HIGH, "together"),
    ("T11", "排污单位环境监督检查", ("SJ05", "排污许可"), {"industry_prefix": ["C"], "entity_type": ["企业"]},
     _R_PROD, "apart"),
    ("T12", "工贸企业安全生产检查", ("SJ12", "有限空间"), {"industry_prefix": ["C", "G59"]},
     {"A": "0.003", "B": "0.008", "C": "0.02", "D": "0.08"}, "together"),
    ("T13", "公共场所卫生监督检查", ("SJ02", "公共场所卫生监督检查"), {"industry_prefix": ["O804", "O805"]}, _R_STD,
     "together"),
    ("T14", "农民专业合作社农产品质量安全抽查", ("SJ10", "农产品质量安全监督抽查"),
     {"entity_type": ["农民专业合作社"]}, 40, "together"),
    ("T15", "纳税人涉税事项随机抽查（不定向）", ("SJ14", "涉税"), None, 150, "independent"),
    ("T16", "药品零售企业联合检查", "药品零售企业联合检查", {"industry_prefix": ["F525"]}, _R_STD, "together"),
    ("T17", "道路运输企业安全检查", ("SJ07", "道路运输行业安全监管"), {"industry_prefix": ["G543"]}, _R_MID,
     "together"),
    ("T18", "物业服务企业联合检查", "物业服务企业联合检查", {"industry_prefix": ["K702"]}, 40, "together"),
)
SEED_SOURCES = ("中国福利彩票双色球 第2026150期 开奖号码", "上证综合指数 2026-12-31 收盘点位")
AUTHORITY = "松江区市场监管领域部门联合“双随机、一公开”监管联席会议办公室"


def _q(text: str) -> str:
    """A TOML basic string (JSON string escapes are valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def _q_list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _fit_population(entities: EntityTable, population: dict[str, list[str]] | None
                    ) -> tuple[bool, dict[str, list[str]] | None]:
    """The filter without values no entity has, and whether any entity is left.

    A filter value that matches nothing is a spec error (a likely typo), and a very small demo
    may lack a rare industry or area, so such values are dropped rather than written.
    """
    if population is None:
        return len(entities) > 0, None
    keep = np.ones(len(entities), dtype=bool)
    fitted: dict[str, list[str]] = {}
    for key, values in population.items():
        column: Categorical = getattr(entities, "industry" if key == "industry_prefix" else key)
        if key == "industry_prefix":
            present = [v for v in values if any(c.startswith(v) for c in column.categories)]
            keep &= column.mask(prefixes=present)
        else:
            present = [v for v in values if v in column.categories]
            keep &= column.mask(present)
        fitted[key] = present
    return bool(keep.any()), fitted


def _plan_spec_toml(lists: _Lists, entities: EntityTable) -> str:
    """``plan-2027Q1.toml`` for a generated directory: fields of architecture §4 only.

    Fixed counts scale with the number of entities so that a small demo stays feasible; a task
    whose population a very small demo lacks is left out (a filter matching nothing is an error).
    """
    n = len(entities)
    lines = [
        "# Sample quarterly plan for the randsup demo district (fictitious data of 上海市松江区).",
        "# Ratios are per credit-risk class (信用风险分类 A–D); `count` tasks are allocated across classes.",
        "# `population` makes a task 定向; a task without it is 不定向. `joint_item` takes the lead and",
        "# partner departments and their check items from joint_items.csv.",
        f"plan_id = {_q('songjiang-2027Q1')}",
        f"quarter = {_q('2027Q1')}",
        f"authority = {_q(AUTHORITY)}",
        "team_size = 2",
        "max_inspections_per_entity_per_year = 2",
        f"holidays = {_q('holidays-2027.toml')}  # PROVISIONAL: chinesecalendar has no 2027 data yet",
        "",
        "[seed]",
        "# Named before they are known; their numbers are passed with --source when the plan is drawn.",
        f"sources = {_q_list(SEED_SOURCES)}",
    ]
    for task_id, name, source, population, size, coordination in _TASKS:
        found, population = _fit_population(entities, population)
        if not found:
            lines += ["", f"# {task_id} {name}: left out, no entity of this small demo matches its population"]
            continue
        lines += ["", "[[tasks]]", f"task_id = {_q(task_id)}", f"name = {_q(name)}"]
        if isinstance(source, str):
            lines.append(f"joint_item = {_q(lists.template_joint_ids[source])}")
        else:
            dept_id, keyword = source
            checks = lists.theme_checks[(dept_id, _find_theme(lists, dept_id, keyword))][:2]
            lines.append(f"check_items = {_q_list(checks)}")
        if population is not None:
            lines.append("population = { " + ", ".join(f"{k} = {_q_list(v)}" for k, v in population.items()) + " }")
        if isinstance(size, int):
            lines.append(f"count = {max(5, round(size * n / 300_000))}")
        else:
            lines.append("ratio = { " + ", ".join(f"{k} = {v}" for k, v in size.items()) + " }")
        lines.append(f"coordination = {_q(coordination)}")
    return "\n".join(lines) + "\n"


# 2027 arrangement, PROVISIONAL: the usual pattern of the State Council notices (2025 rules: 春节
# 4 days with 除夕, 劳动节 2 days; holidays on a weekend are made up on the next weekdays, longer
# breaks are bridged by working a weekend day). 端午 (Wed 9 June) and 中秋 (Wed 15 September) are
# assumed as single days.
_HOLIDAYS_2027: tuple[tuple[str, str, str], ...] = (
    ("2027-01-01", "2027-01-03", "元旦"),
    ("2027-02-05", "2027-02-13", "春节"),
    ("2027-04-03", "2027-04-05", "清明节"),
    ("2027-05-01", "2027-05-05", "劳动节"),
    ("2027-06-09", "2027-06-09", "端午节"),
    ("2027-09-15", "2027-09-15", "中秋节"),
    ("2027-10-01", "2027-10-07", "国庆节"),
)
_WORKDAYS_2027 = ("2027-01-31", "2027-02-14", "2027-05-08", "2027-09-26", "2027-10-09")


def holidays_2027_toml() -> str:
    """The provisional 2027 holidays file (format in the module docstring)."""
    lines = [
        "# PROVISIONAL — NOT THE OFFICIAL 2027 ARRANGEMENT.",
        "# chinesecalendar has no 2027 data yet. These dates follow the usual pattern of the State Council's",
        "# holiday notices (春节 includes 除夕; weekend holidays are made up; long breaks are bridged by working",
        "# a weekend day). Replace them with 《国务院办公厅关于2027年部分节假日安排的通知》 when it is published,",
        "# and set provisional = false.",
        "year = 2027",
        "provisional = true",
        f"source = {_q('randsup demo: provisional estimate following the usual State Council pattern, not official')}",
        "# 调休: weekend days that are working days.",
        f"workdays = {_q_list(_WORKDAYS_2027)}",
        "",
        "# Every day of each holiday period, weekends included.",
        "[holidays]",
    ]
    for first, last, name in _HOLIDAYS_2027:
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            lines.append(f"{_q(day.isoformat())} = {_q(name)}")
            day += dt.timedelta(days=1)
    return "\n".join(lines) + "\n"


def write_demo_data(out: str | Path, *, entities: int = 300_000, inspectors: int = 1_800, seed: int = 0
                    ) -> Directory:
    """Write the demo data folder: the 一单两库 CSVs, ``plan-2027Q1.toml`` and ``holidays-2027.toml``.

    The folder appears whole or not at all (:func:`randsup.io.atomic_directory`).

    Raises:
        OutputError: ``out`` exists already.
        InputError: too few entities or inspectors (see :func:`generate_directory`).
    """
    target = Path(out)
    if target.exists():
        # Checked before generating so that a mistyped folder fails at once, not after the work.
        raise OutputError(f"{target} exists already; choose a new output folder or remove the old one")
    directory, lists = _generate(entities, inspectors, seed)
    with atomic_directory(target) as tmp:
        write_directory_files(directory, tmp)
        write_atomic(tmp / "plan-2027Q1.toml", _plan_spec_toml(lists, directory.entities))
        write_atomic(tmp / "holidays-2027.toml", holidays_2027_toml())
    return directory
